"""An Excel workbook through the wizard: upload, the sheet picker, mapping, and the import by a real worker."""
import io
import re

from leadcrm.extensions import db
from leadcrm.models import ImportRowIssue, Lead, LeadImport
from tests.imports.views.test_wizard import imports, text
from tests.support.workbooks import save, with_shared_strings, workbook

LEADS = [["First Name", "E-mail", "Phone", "ZIP"],
         ["Ann", "ann@example.com", 4155550100, 2134],
         [],
         ["Bo", "not-an-email", 5, 1],
         ["Cy", "cy@example.com", 0.1 + 0.2, 501]]


def two_sheets(tmp_path) -> bytes:
    book = workbook({"Notes": [["Text"], ["not leads"]], "Leads": LEADS, "Old": [["x"], ["y"]]}, hidden=("Old",),
                    formats={f"Leads!D{row}": "00000" for row in range(2, 6)})
    return with_shared_strings(save(book, tmp_path / "book.xlsx")).read_bytes()


def test_pick_the_second_sheet_map_and_import(app, auth_client, tmp_path, queue, run_worker):
    picker = auth_client.post("/imports/", data={"file": (io.BytesIO(two_sheets(tmp_path)), "book.xlsx")})
    page = text(picker)
    assert picker.status_code == 200 and "book.xlsx has 3 sheets with data" in page
    assert re.search(r"Old\s*<span class=\"muted\">\(hidden\)</span>", page) and "3 rows under the header" in page
    assert imports(app) == []
    tokens = re.findall(r'name="upload" type="hidden" value="([^"]+)"', picker.get_data(as_text=True))
    mapping = auth_client.post("/imports/retry", data={"upload": tokens[1]})
    assert mapping.status_code == 303
    page = text(auth_client.get(mapping.headers["Location"]))
    assert "4155550100" in page and "02134" in page and "Excel workbook, sheet “Leads”" in page
    [imp] = imports(app)
    assert (imp.sheet, imp.header) == ("Leads", LEADS[0])
    data = {"col_0": "first_name", "col_1": "email", "col_2": "phone", "col_3": "notes", "start": "Start Import"}
    assert auth_client.post(mapping.headers["Location"], data=data).status_code == 303
    run = run_worker()
    assert run.returncode == 0, run.stderr
    with app.app_context():
        imp = db.session.get(LeadImport, imp.id)
        assert (imp.status, imp.total_rows, imp.successful, imp.skipped) == ("completed", 3, 2, 1)
        leads = db.session.scalars(db.select(Lead).order_by(Lead.id)).all()
        assert [(lead.first_name, lead.phone, lead.notes) for lead in leads] == [
            ("Ann", "4155550100", "02134"), ("Cy", "0.3", "00501")]
        [issue] = db.session.scalars(db.select(ImportRowIssue)).all()
        assert (issue.line, issue.code, issue.values) == (4, "invalid_email", ["Bo", "not-an-email", "5", "00001"])
        reason = issue.reason
    summary = text(auth_client.get(f"/imports/{imp.id}/summary", headers={"HX-Request": "true"}))
    assert "“not-an-email” (Leads, row 4)" in summary
    report = auth_client.get(f"/imports/{imp.id}/report.csv").get_data(as_text=True)
    assert report.splitlines()[:2] == ["\ufeffFirst Name,E-mail,Phone,ZIP,row,reason",
                                      f"Bo,not-an-email,5,00001,4,{reason}"]
