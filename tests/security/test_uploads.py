"""Uploads: size limit, hostile file names, binary files, huge lines and fields: each its one answer,
no crash, nothing written outside the upload folder."""
import html
import io
import re
from pathlib import Path

import pytest

from leadcrm.extensions import db
from leadcrm.models import LeadImport
from tests.conftest import ROOT, built_app, login
from tests.support.wizard import import_id_of, import_row, upload

GOOD_CSV = b"First Name,Email\nAda,ada@example.com\n"
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
       + bytes(range(256)) * 8)
STORED_NAME = re.compile(r"[0-9a-f]{32}\.csv")


def files_under(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*") if p.is_file()}


def imports_count(app) -> int:
    with app.app_context():
        return db.session.scalar(db.select(db.func.count()).select_from(LeadImport))


def alerts(response) -> list[str]:
    """The texts of the page's alerts (the upload problem is one)."""
    return [html.unescape(text) for text in re.findall(r'role="alert">([^<]*)<', response.get_data(as_text=True))]


@pytest.fixture
def small_upload_app(app_config):
    """The app with MAX_UPLOAD_MB=1."""
    limits = {"MAX_UPLOAD_MB": 1, "MAX_CONTENT_LENGTH": 1024 * 1024 + 64 * 1024}
    with built_app({**app_config, **limits}, owner=True) as app:
        yield app


def test_too_large_upload_gets_the_clear_page(small_upload_app):
    client = small_upload_app.test_client()
    assert login(client, "owner@example.com").status_code == 303
    big = io.BytesIO(b"First Name,Email\n" + b"Ada,ada@example.com\n" * 110_000)  # about 2.2 MB
    response = upload(client, "big.csv", big)
    assert response.status_code == 413
    html = response.get_data(as_text=True)
    assert "File too large" in html and "1 MB" in html and "Split it" in html
    assert imports_count(small_upload_app) == 0


@pytest.mark.parametrize("filename, shown", [
    ("../../escape.csv", "escape.csv"),
    # The test client sends the backslashes unescaped, as browsers do, and the multipart parser reads
    # each as the escape of the dot after it: no separator is left either way.
    ("..\\..\\escape.csv", "....escape.csv"),
    ("/etc/escape.csv", "escape.csv"),
    ("esc\x00ape.csv", "escape.csv"),
    ("../" * 20 + "escape.csv", "escape.csv"),
])
def test_hostile_file_names_are_stored_under_a_random_name_inside_the_upload_folder(
        app, auth_client, app_config, tmp_path, filename, shown):
    uploads = Path(app_config["UPLOAD_FOLDER"])
    watched = [tmp_path.parent, ROOT, ROOT.parent, Path("/tmp"), Path("/etc")]
    auth_client.get("/imports/new")
    before = files_under(tmp_path)
    response = upload(auth_client, filename, io.BytesIO(GOOD_CSV))
    assert response.status_code == 303
    import_id = import_id_of(response)
    assert response.headers["Location"] == f"/imports/{import_id}/mapping"
    row = import_row(app, import_id)
    assert row.original_filename == shown
    assert STORED_NAME.fullmatch(row.stored_name), row.stored_name
    new_files = files_under(tmp_path) - before
    assert {p for p in new_files if not p.name.startswith("test.sqlite3")} == {uploads / row.stored_name}
    assert (uploads / row.stored_name).read_bytes() == GOOD_CSV
    for folder in watched:
        assert not [p for p in folder.iterdir() if "escape" in p.name], folder


def test_an_image_renamed_csv_gets_a_clear_message(app, auth_client, app_config):
    response = upload(auth_client, "photo.csv", io.BytesIO(PNG))
    assert response.status_code == 200
    assert alerts(response) == ["This looks like a PNG image, not a CSV file. Choose the CSV file that holds your leads."]
    assert imports_count(app) == 0
    assert files_under(Path(app_config["UPLOAD_FOLDER"])) == set(), "a refused upload leaves no file behind"


def test_a_100_mb_single_line_gets_a_clear_message(app, auth_client, app_config, tmp_path):
    path = tmp_path / "one-line.csv"
    with open(path, "wb") as f:
        chunk = b"a" * (1024 * 1024)
        for _ in range(100):
            f.write(chunk)
    with open(path, "rb") as f:
        response = upload(auth_client, "one-line.csv", f)
    path.unlink()
    assert response.status_code == 200
    assert alerts(response) == ["The first line is longer than 64 KiB, so this is not a CSV file with one lead per "
                                "line. Choose the CSV file that holds your leads."]
    assert "one-line.csv cannot be imported as it is" in response.get_data(as_text=True)
    assert imports_count(app) == 0
    assert files_under(Path(app_config["UPLOAD_FOLDER"])) == set(), "a refused upload leaves no file behind"


def test_a_field_over_the_csv_modules_limit_at_the_start_gets_its_message(app, auth_client):
    long_notes = "x" * 200_000
    data = f"First Name,Email,Notes\nAnn,ann@example.com,{long_notes}\nBob,bob@example.com,short\n".encode()
    response = upload(auth_client, "long-field.csv", io.BytesIO(data))
    assert response.status_code == 200
    [message] = alerts(response)
    assert message.startswith("The first row after the header does not end within the first 64 KiB: ")
    assert imports_count(app) == 0


@pytest.mark.parametrize("where", ["cell", "column name"])
def test_a_nul_byte_at_the_start_is_refused_as_binary(app, auth_client, where):
    """PostgreSQL text cannot hold NUL: it must never reach the database (nor fail the import)."""
    if where == "cell":
        data = b"First Name,Email\nA\x00da,ada@example.com\nBob,bob@example.com\n"
    else:
        data = b"First\x00Name,Email\nAda,ada@example.com\nBob,bob@example.com\n"
    response = upload(auth_client, "nul.csv", io.BytesIO(data))
    assert response.status_code == 200
    assert alerts(response) == ["The file holds binary data (NUL bytes), not text, so it is not a CSV file. "
                                "Export your leads as CSV UTF-8 from the program they are in, then upload that file."]
    assert imports_count(app) == 0