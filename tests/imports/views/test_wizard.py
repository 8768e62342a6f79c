"""The import wizard through the test client: upload, check, offers, mapping, sample row, start."""
import codecs
import html
import io
import os
import re
import time
from pathlib import Path

import pytest

from leadcrm.extensions import db, import_queue
from leadcrm.imports.jobs.enqueue import job_id_for
from leadcrm.imports.upload import storage
from leadcrm.models import Lead, LeadImport, SavedMapping
from tests.support.csvfiles import xlsx_bytes

GOOD = "First Name,E-mail,Company Name,Favourite colour\nAda,ada@example.com,Analytical,green\nGrace,grace@example.com,Navy,blue\n"


def upload(client, content: bytes | str, filename="leads.csv"):
    data = content.encode() if isinstance(content, str) else content
    return client.post("/imports/", data={"file": (io.BytesIO(data), filename)})


def imports(app) -> list[LeadImport]:
    with app.app_context():
        return db.session.scalars(db.select(LeadImport).order_by(LeadImport.id)).all()


def stored_files(app) -> list[str]:
    folder = Path(app.config["UPLOAD_FOLDER"])
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def text(response) -> str:
    """The page as a person reads it: entities decoded."""
    return html.unescape(response.get_data(as_text=True))


def offer_token(response) -> str:
    return re.search(r'name="upload" type="hidden" value="([^"]+)"', response.get_data(as_text=True)).group(1)


def selected(page: str, index: int) -> str:
    """The value of the selected option of column select col_<index>."""
    select = re.search(rf'<select[^>]*id="col_{index}"[^>]*>(.*?)</select>', page, re.S).group(1)
    return re.search(r'<option selected value="([^"]*)"', select).group(1)


def job_ids(app) -> list[str]:
    with app.app_context():
        return import_queue().job_ids


def job_id(app, import_id: int) -> str:
    with app.app_context():
        return job_id_for(import_id, 0)


@pytest.fixture
def uploaded(app, auth_client):
    """A good upload: the id of its import, status uploaded."""
    response = upload(auth_client, GOOD)
    assert response.status_code == 303
    return int(re.fullmatch(r"/imports/(\d+)/mapping", response.headers["Location"]).group(1))


def test_upload_page(auth_client):
    page = auth_client.get("/imports/new").get_data(as_text=True)
    assert re.search(r'<label for="file">CSV file or Excel workbook</label>\s*<input accept="[^"]+" id="file" name="file"[^>]*type="file">', page)
    assert 'enctype="multipart/form-data"' in page and ">Upload</button>" in page


def test_good_upload_creates_the_import_and_goes_to_mapping(app, auth_client, user):
    response = upload(auth_client, GOOD, filename="/home/ada/my leads.csv")
    [imp] = imports(app)
    assert response.status_code == 303 and response.headers["Location"] == f"/imports/{imp.id}/mapping"
    assert (imp.status, imp.workspace_id, imp.created_by_id) == ("uploaded", user["workspace_id"], user["id"])
    assert (imp.original_filename, imp.size_bytes, imp.encoding, imp.delimiter) == ("my leads.csv", len(GOOD), "utf-8", ",")
    assert imp.header == ["First Name", "E-mail", "Company Name", "Favourite colour"]
    assert imp.mapping is None
    assert stored_files(app) == [imp.stored_name]
    assert (Path(app.config["UPLOAD_FOLDER"]) / imp.stored_name).read_text() == GOOD


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "The file is empty."),
        (xlsx_bytes(), "The workbook cannot be read ("),
        (b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0", "This looks like a PNG image, not a CSV file."),
        (b"%PDF-1.4\n", "This looks like a PDF document"),
        (b"name,email\nA\0,a@example.com\n", "The file holds binary data (NUL bytes)"),
        ("ada@example.com,Ada\ngrace@example.com,Grace\n", "The file has no header row: the first row looks like data (“ada@example.com”)"),
        ("first_name,email\n", "The file has a header row but no rows of leads below it."),
        ("name,email,name\nA,a@example.com,B\n", "The column name “name” is used twice (columns 1 and 3)."),
        ("name,,email\nA,x,a@example.com\n", "Column 2 has no name in the header row."),
        ("x" * 70_000 + "\nrow\n", "The first line is longer than 64 KiB"),
    ],
)
def test_bad_file_gets_its_message_and_nothing_is_created(app, auth_client, content, message):
    response = upload(auth_client, content)
    assert response.status_code == 200
    assert message in text(response)
    assert 'role="alert"' in response.get_data(as_text=True)
    assert imports(app) == []
    assert stored_files(app) == []


@pytest.mark.parametrize(
    "filename, message",
    [(None, "Choose a CSV file or an Excel workbook to upload."),
     ("leads.pdf", "Only .csv, .tsv, .txt, .xlsx and .xlsm files can be imported.")],
)
def test_upload_form_errors(app, auth_client, filename, message):
    response = auth_client.post("/imports/", data={"file": (io.BytesIO(xlsx_bytes()), filename)} if filename else {})
    assert response.status_code == 200 and message in text(response)
    assert imports(app) == [] and stored_files(app) == []


def test_too_large_gets_the_413_page(app, auth_client):
    app.config["MAX_CONTENT_LENGTH"] = 10_000
    response = upload(auth_client, "email\n" + "a@example.com\n" * 2000)
    assert response.status_code == 413 and "File too large" in text(response)
    assert imports(app) == []


def test_bom_crlf_and_quoted_newlines(app, auth_client):
    content = codecs.BOM_UTF8 + b'Email,Notes\r\nada@example.com,"line one\r\nline ""two"", with a comma"\r\n'
    response = upload(auth_client, content)
    assert response.status_code == 303
    [imp] = imports(app)
    assert imp.header == ["Email", "Notes"]
    page = auth_client.get(response.headers["Location"]).get_data(as_text=True)
    assert selected(page, 0) == "email" and selected(page, 1) == "notes"
    assert '<label for="col_0">Email</label>' in page
    assert "line one\r\nline &#34;two&#34;, with a comma" in page


def test_semicolons_offer_accepted(app, auth_client):
    response = upload(auth_client, "first_name;email;deal_value\nAda;ada@example.com;1,5\n")
    page = text(response)
    assert "Invalid CSV format: the file is separated by semicolons, not commas." in page
    assert ">Import it separated by semicolons</button>" in page
    assert imports(app) == []
    assert len(stored_files(app)) == 1 and stored_files(app)[0].startswith("pending/"), "kept for the offer only"

    accepted = auth_client.post("/imports/retry", data={"upload": offer_token(response)})
    [imp] = imports(app)
    assert accepted.status_code == 303 and accepted.headers["Location"] == f"/imports/{imp.id}/mapping"
    assert (imp.delimiter, imp.encoding, imp.header) == (";", "utf-8", ["first_name", "email", "deal_value"])
    assert stored_files(app) == [imp.stored_name]
    mapping_page = auth_client.get(accepted.headers["Location"]).get_data(as_text=True)
    assert "separated by semicolons" in mapping_page and "1,5" in mapping_page


def test_a_cp1252_file_separated_by_semicolons_gets_one_offer_for_both(app, auth_client):
    content = "Vorname;Nachname;E-Mail;Notiz\nJosé;Müller;jose@example.com;Café crème – “quoted” €5\n".encode("cp1252")
    response = upload(auth_client, content)
    page = text(response)
    assert "Invalid CSV format: the file is not UTF-8" in page
    assert "It is most likely windows-1252, separated by semicolons" in page
    assert ">Import it as windows-1252 separated by semicolons</button>" in page

    accepted = auth_client.post("/imports/retry", data={"upload": offer_token(response)})
    assert accepted.status_code == 303
    [imp] = imports(app)
    assert (imp.encoding, imp.delimiter) == ("cp1252", ";")
    assert imp.header == ["Vorname", "Nachname", "E-Mail", "Notiz"]
    mapping_page = text(auth_client.get(accepted.headers["Location"]))
    assert "José" in mapping_page and "Café crème – “quoted” €5" in mapping_page and "windows-1252" in mapping_page


def test_an_accepted_encoding_and_delimiter_reach_the_worker(app, auth_client, queue, run_worker):
    content = 'Vorname;E-Mail;Firma;Notiz\r\nJosé;jose@example.com;Café Müller;"zwei\r\nZeilen; €5"\r\n'.encode("cp1252")
    offer = upload(auth_client, content)
    accepted = auth_client.post("/imports/retry", data={"upload": offer_token(offer)})
    data = {"col_0": "first_name", "col_1": "email", "col_2": "company", "col_3": "notes", "tags": "imported-nov",
            "start": "Start Import"}
    assert auth_client.post(accepted.headers["Location"], data=data).status_code == 303
    run = run_worker()
    assert run.returncode == 0, run.stderr
    with app.app_context():
        [imp] = db.session.scalars(db.select(LeadImport)).all()
        [lead] = db.session.scalars(db.select(Lead)).all()
        assert (imp.status, imp.successful) == ("completed", 1)
        assert (lead.first_name, lead.email, lead.company.name) == ("José", "jose@example.com", "Café Müller")
        assert lead.notes == "zwei\r\nZeilen; €5"
        assert [tag.name for tag in lead.tags] == ["imported-nov"]


def test_an_offer_works_once_and_in_its_own_workspace_only(app, auth_client, other_client):
    response = upload(auth_client, "a;b\n1;2\n")
    token = offer_token(response)
    stolen = other_client.post("/imports/retry", data={"upload": token}, follow_redirects=True)
    assert "That upload is no longer waiting" in text(stolen)
    assert imports(app) == []
    assert auth_client.post("/imports/retry", data={"upload": token}).status_code == 303
    again = auth_client.post("/imports/retry", data={"upload": token}, follow_redirects=True)
    assert "That upload is no longer waiting" in text(again)
    assert len(imports(app)) == 1


def test_an_abandoned_offer_is_removed_by_a_later_upload(app, auth_client):
    upload(auth_client, "a;b\n1;2\n")
    [abandoned] = stored_files(app)
    day_ago = time.time() - storage.PENDING_MAX_AGE - 60
    os.utime(Path(app.config["UPLOAD_FOLDER"]) / abandoned, (day_ago, day_ago))
    upload(auth_client, "a;b\n3;4\n")
    assert len(stored_files(app)) == 1 and abandoned not in stored_files(app)


def test_mapping_page_shows_the_automatic_mapping_preview_and_sample(auth_client, uploaded):
    page = auth_client.get(f"/imports/{uploaded}/mapping").get_data(as_text=True)
    assert [selected(page, i) for i in range(4)] == ["first_name", "email", "company", ""]
    for i, column in enumerate(["First Name", "E-mail", "Company Name", "Favourite colour"]):
        assert f'<label for="col_{i}">{column}</label>' in page
    select = re.search(r'<select[^>]*id="col_0"[^>]*>', page).group(0)
    for attribute in (f'hx-post="/imports/{uploaded}/sample"', 'hx-trigger="change"', 'hx-target="#sample-row"',
                      'hx-swap="outerHTML"', 'hx-include="closest form"'):
        assert attribute in select
    options = re.findall(r"<option[^>]*>([^<]*)</option>", re.search(r'id="col_0".*?</select>', page, re.S).group(0))
    assert options == ["Do not import", "First Name", "Last Name", "Email", "Phone", "Company", "Status", "Source",
                       "Score", "Deal Value", "Tags", "Notes"]
    assert '<td class="examples">Ada\nGrace</td>' in page
    assert '<div id="sample-row"' in page
    assert re.search(r"<th scope=\"row\">Email</th><td class=\"values\">ada@example.com</td>", page)
    assert "<script>" not in page.replace('<script src="/static/vendor/', "")
    assert " style=" not in page


def test_sample_row_partial(auth_client, uploaded):
    data = {"col_0": "last_name", "col_1": "email", "col_2": "", "col_3": "notes", "source": "Trade show 2026",
            "status": "qualified", "tags": "imported-nov, vip"}
    response = auth_client.post(f"/imports/{uploaded}/sample", data=data, headers={"HX-Request": "true"})
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert body.startswith('<div id="sample-row"') and "<html" not in body and body.count('id="sample-row"') == 1
    rows = dict(re.findall(r'<th scope="row">([^<]+)</th><td class="values">(?:<span class="muted">)?([^<]*)', body))
    assert rows == {
        "First Name": "—", "Last Name": "Ada", "Email": "ada@example.com", "Phone": "—", "Company": "—",
        "Status": "qualified", "Source": "Trade show 2026", "Score": "—", "Deal Value": "—",
        "Tags": "imported-nov, vip", "Notes": "green",
    }


def test_sample_row_says_why_the_first_row_would_not_be_imported(auth_client, uploaded):
    data = {"col_0": "email", "col_1": "", "col_2": "", "col_3": ""}
    body = text(auth_client.post(f"/imports/{uploaded}/sample", data=data, headers={"HX-Request": "true"}))
    assert "The first row would not be imported: Email 'Ada' in column 'First Name' is not a valid email address" in body


def test_sample_row_shows_a_double_mapping_inline(auth_client, uploaded):
    data = {"col_0": "email", "col_1": "email", "col_2": "", "col_3": ""}
    body = text(auth_client.post(f"/imports/{uploaded}/sample", data=data, headers={"HX-Request": "true"}))
    assert body.startswith('<div id="sample-row"')
    assert "Email is chosen for more than one column ('First Name' and 'E-mail')." in body
    assert "Fix the mapping to see the sample row." in body


def test_double_mapping_is_refused(app, auth_client, uploaded, queue):
    data = {"col_0": "email", "col_1": "email", "col_2": "company", "col_3": "", "start": "Start Import"}
    response = auth_client.post(f"/imports/{uploaded}/mapping", data=data)
    assert response.status_code == 200
    assert "Email is chosen for more than one column ('First Name' and 'E-mail'). A lead field takes one column" in text(response)
    assert selected(response.get_data(as_text=True), 0) == "email"
    assert imports(app)[0].status == "uploaded"
    assert job_ids(app) == []


def test_update_sample_button_without_javascript(app, auth_client, uploaded):
    data = {"col_0": "notes", "col_1": "email", "col_2": "", "col_3": "", "preview": "Update sample row"}
    response = auth_client.post(f"/imports/{uploaded}/mapping", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and selected(page, 0) == "notes"
    assert '<th scope="row">Notes</th><td class="values">Ada</td>' in page
    assert imports(app)[0].status == "uploaded"


def test_start_import_once(app, auth_client, uploaded, queue):
    data = {"col_0": "first_name", "col_1": "email", "col_2": "company", "col_3": "", "source": " Trade show 2026 ",
            "status": "", "tags": "imported-nov, ,vip", "start": "Start Import"}
    first = auth_client.post(f"/imports/{uploaded}/mapping", data=data)
    assert first.status_code == 303 and first.headers["Location"] == f"/imports/{uploaded}"
    [imp] = imports(app)
    assert imp.status == "queued"
    assert imp.mapping == {"First Name": "first_name", "E-mail": "email", "Company Name": "company", "Favourite colour": ""}
    assert imp.defaults == {"source": "Trade show 2026", "status": "", "tags": ["imported-nov", "vip"]}
    assert job_ids(app) == [job_id(app, uploaded)]

    again = auth_client.post(f"/imports/{uploaded}/mapping", data=data)
    assert again.status_code == 303 and again.headers["Location"] == f"/imports/{uploaded}"
    assert job_ids(app) == [job_id(app, uploaded)], "a second start enqueues nothing"
    back = auth_client.get(f"/imports/{uploaded}/mapping")
    assert back.status_code == 303 and back.headers["Location"] == f"/imports/{uploaded}"


def test_the_mapping_is_remembered_for_the_next_file_with_the_same_header(app, auth_client, other_client, uploaded, queue):
    data = {"col_0": "last_name", "col_1": "email", "col_2": "", "col_3": "notes", "start": "Start Import"}
    assert auth_client.post(f"/imports/{uploaded}/mapping", data=data).status_code == 303
    with app.app_context():
        assert db.session.scalar(db.select(SavedMapping.mapping)) == {
            "First Name": "last_name", "E-mail": "email", "Company Name": "", "Favourite colour": "notes"}

    next_upload = upload(auth_client, GOOD.replace("Ada", "Alan"))
    page = auth_client.get(next_upload.headers["Location"]).get_data(as_text=True)
    assert "These are the choices made last time for a file with the same columns." in page
    assert [selected(page, i) for i in range(4)] == ["last_name", "email", "", "notes"]

    elsewhere = upload(other_client, GOOD)
    page = other_client.get(elsewhere.headers["Location"]).get_data(as_text=True)
    assert "choices made last time" not in page
    assert [selected(page, i) for i in range(4)] == ["first_name", "email", "company", ""]


def test_html_in_file_name_columns_and_cells_is_escaped(app, auth_client):
    content = "<script>alert(2)</script>,Notes\nx,<script>alert(3)</script>\n"
    response = upload(auth_client, content, filename="<img src=x onerror=alert(1)>.csv")
    page = auth_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "<img" not in page and "&lt;img src=x onerror=alert(1)&gt;.csv" in page
    for n in (2, 3):
        assert f"<script>alert({n})" not in page
        assert f"&lt;script&gt;alert({n})&lt;/script&gt;" in page
    [imp] = imports(app)
    body = auth_client.post(f"/imports/{imp.id}/sample", data={"col_0": "", "col_1": "notes"},
                            headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<script>" not in body and "&lt;script&gt;alert(3)&lt;/script&gt;" in body

    problem = upload(auth_client, b"", filename="<b>bold<b>.csv").get_data(as_text=True)
    assert "<b>bold" not in problem and "&lt;b&gt;bold&lt;" in problem


def test_other_workspace_gets_404(app, other_client, uploaded, queue):
    assert other_client.get(f"/imports/{uploaded}/mapping").status_code == 404
    assert other_client.post(f"/imports/{uploaded}/mapping", data={"col_0": "email", "start": "Start Import"}).status_code == 404
    assert other_client.post(f"/imports/{uploaded}/sample", data={"col_0": "email"}, headers={"HX-Request": "true"}).status_code == 404
    assert imports(app)[0].status == "uploaded" and job_ids(app) == []


def test_unknown_import_is_404(auth_client):
    assert auth_client.get("/imports/999/mapping").status_code == 404
