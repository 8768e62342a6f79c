"""An Excel workbook through the browser: a two-sheet workbook uploaded, its second sheet picked, mapped,
imported by the real worker, and the leads exported as the sheet showed them (leading zeros, whole numbers)."""
from playwright.sync_api import expect

from tests.e2e.conftest import figures, open_new_import, signup, upload
from tests.e2e.test_import_flow import start_import_and_land_on_progress, wait_for_completed
from tests.e2e.test_real_files_flow import export
from tests.support.workbooks import save, with_shared_strings, workbook


def test_a_two_sheet_workbook_second_sheet_picked(page, live_server, tmp_path):
    signup(page)
    book = workbook({
        "Summary": [["Quarter", "Leads"], ["Q1", 2]],
        "Leads": [["First Name", "Email", "Phone", "Lead Status", "Notes"],
                  ["Ann", "ann@xl.example", 4155550100, "Qualified", 2134],
                  ["Bo", "bo@xl.example", None, "New", 0.1 + 0.2]],
    }, formats={"Leads!E2": "00000"})
    path = with_shared_strings(save(book, tmp_path / "q1-leads.xlsx"))
    open_new_import(page)
    upload(page, path)
    expect(page.get_by_role("heading", name="Choose the sheet to import")).to_be_visible()
    expect(page.locator("#sheet-2")).to_contain_text("ann@xl.example")
    page.get_by_role("button", name="Import sheet Leads").click()
    page.wait_for_load_state()
    expect(page.locator("table.preview")).to_contain_text("4155550100")
    start_import_and_land_on_progress(page)
    wait_for_completed(page, timeout=60)
    assert figures(page) == {"total": 2, "processed": 2, "successful": 2, "skipped": 0, "errors": 0}
    leads = export(page)
    assert {email: (lead["first_name"], lead["phone"], lead["status"], lead["notes"]) for email, lead in leads.items()} == {
        "ann@xl.example": ("Ann", "4155550100", "qualified", "02134"),
        "bo@xl.example": ("Bo", "", "new", "0.3"),
    }
