"""Files as other tools export them, through the browser: a HubSpot-style export (semicolon tags, "Closed
Won" statuses), a German Excel export (windows-1252, semicolons, 1.234,50), and the error report fixed and
imported again, which gives exactly the intended leads (a phone starting with + included)."""
import csv
import io
import re

from playwright.sync_api import expect

from tests.e2e.conftest import figures, open_new_import, signup, upload
from tests.e2e.test_import_flow import read_csv, start_import_and_land_on_progress, wait_for_completed

HUBSPOT = "\n".join([
    "First Name,Last Name,Email,Lead Status,Tags,Amount",
    "Ann,Lee,ann@hub.example,Closed Won,vip;spain,1200",
    "Bob,Ray,bob@hub.example,IN_PROGRESS,vip,",
    "Cy,Doe,cy@hub.example,Unqualified,,",
    "Dee,Poe,dee@hub.example,Maybe later,;newsletter;,",
    "Eve,Kim,eve@hub.example,OPEN,,",
]) + "\n"
GERMAN = "\r\n".join([
    "Vorname;Nachname;E-Mail;Status;Betrag;Schlagworte",
    "Jürgen;Müller;juergen@de.example;Neu;1.234,50;Messe",
    "Anna;Groß;anna@de.example;Gewonnen;12,5;",
    "Ömer;Çelik;oemer@de.example;Verloren;€ 99;\"Messe; VIP\"",
]) + "\r\n"


def export(page) -> dict[str, dict]:
    page.goto("/leads/")
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("export", re.I)).first.click()
    rows = read_csv(download.value.path())
    return {row[2]: dict(zip(rows[0], row)) for row in rows[1:]}


def test_a_hubspot_style_export_with_other_status_words_and_semicolon_tags(page, live_server, tmp_path):
    signup(page)
    path = tmp_path / "hubspot-export.csv"
    path.write_text(HUBSPOT)
    open_new_import(page)
    upload(page, path)
    readings = page.locator("table.status-values")
    expect(readings).to_contain_text("Closed Won")
    assert page.get_by_label("Closed Won").input_value() == "converted"
    assert page.get_by_label("IN_PROGRESS").input_value() == "contacted"
    assert page.get_by_label("Maybe later").input_value() == "skip"
    page.get_by_label("Maybe later").select_option("default")
    expect(page.locator("#sample-row")).to_contain_text("vip, spain")
    start_import_and_land_on_progress(page)
    wait_for_completed(page, timeout=60)
    assert figures(page) == {"total": 5, "processed": 5, "successful": 5, "skipped": 0, "errors": 0}
    leads = export(page)
    assert {email: (lead["status"], lead["tags"]) for email, lead in leads.items()} == {
        "ann@hub.example": ("converted", "spain, vip"), "bob@hub.example": ("contacted", "vip"),
        "cy@hub.example": ("lost", ""), "dee@hub.example": ("new", "newsletter"), "eve@hub.example": ("new", "")}
    assert leads["ann@hub.example"]["deal_value"] == "1200.00"


def test_a_german_excel_export(page, live_server, tmp_path):
    signup(page)
    path = tmp_path / "kontakte.csv"
    path.write_bytes(GERMAN.encode("cp1252"))
    open_new_import(page)
    upload(page, path)
    page.get_by_role("button", name="Import it as windows-1252 separated by semicolons").click()
    page.wait_for_load_state()
    expect(page.get_by_text("windows-1252 · separated by semicolons")).to_be_visible()
    assert page.get_by_label("Numbers in this file are written as").input_value() == "comma"
    expect(page.locator("[data-number-format]")).to_contain_text("1.234,50 = one thousand two hundred thirty-four and a half")
    start_import_and_land_on_progress(page)
    wait_for_completed(page, timeout=60)
    assert figures(page) == {"total": 3, "processed": 3, "successful": 3, "skipped": 0, "errors": 0}
    leads = export(page)
    assert {email: (lead["first_name"], lead["last_name"], lead["status"], lead["deal_value"], lead["tags"])
            for email, lead in leads.items()} == {
        "juergen@de.example": ("Jürgen", "Müller", "new", "1234.50", "Messe"),
        "anna@de.example": ("Anna", "Groß", "converted", "12.50", ""),
        "oemer@de.example": ("Ömer", "Çelik", "lost", "99.00", "Messe, VIP"),
    }


def test_the_error_report_fixed_and_imported_again_gives_the_intended_leads(page, live_server, tmp_path):
    signup(page)
    path = tmp_path / "leads.csv"
    path.write_text("Name,Email,Phone\nAnn,ann@example.com,+1 (555) 010-0100\nBob,bob@,+1 (589) 878-1179\n"
                    "Cy,cy at example.com,=2+3\n")
    open_new_import(page)
    upload(page, path)
    start_import_and_land_on_progress(page)
    wait_for_completed(page, timeout=60)
    assert figures(page)["skipped"] == 2
    with page.expect_download() as download:
        page.get_by_role("link", name="Download error report (CSV)").click()
    report = download.value.path().read_bytes()
    assert report.startswith("\ufeff".encode()), "Excel needs the byte-order mark to read UTF-8"
    rows = list(csv.reader(io.StringIO(report.decode("utf-8-sig"))))
    assert [row[:3] for row in rows[1:]] == [["Bob", "bob@", "'+1 (589) 878-1179"], ["Cy", "cy at example.com", "'=2+3"]]
    fixed = tmp_path / "fixed.csv"
    rows[1][1], rows[2][1] = "bob@example.com", "cy@example.com"
    with open(fixed, "w", newline="", encoding="utf-8-sig") as out:
        csv.writer(out).writerows(rows)
    open_new_import(page)
    upload(page, fixed)
    start_import_and_land_on_progress(page)
    wait_for_completed(page, timeout=60)
    assert figures(page) == {"total": 2, "processed": 2, "successful": 2, "skipped": 0, "errors": 0}
    leads = export(page)
    assert {email: lead["phone"] for email, lead in leads.items()} == {
        "ann@example.com": "+1 (555) 010-0100", "bob@example.com": "+1 (589) 878-1179", "cy@example.com": "=2+3"}
