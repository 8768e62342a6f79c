"""The import, as a person does it in a real browser against the real app and a real worker (issue 6)."""
import csv
import re
import subprocess
import sys
import time

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import (
    ROOT,
    figures,
    login,
    open_new_import,
    selected_label,
    show_unmapped_columns,
    signup,
    upload,
)
from tests.support.csvfiles import (
    EXPORT_HEADER,
    FLOW_AUTO_MAPPING,
    IMG,
    JS_URL,
    SCRIPT,
    XSS_FILENAME,
    flow_csv,
    write_big_csv,
    xss_csv,
)

FIELD_LABELS = ["First Name", "Last Name", "Email", "Phone", "Company", "Status", "Source", "Score",
                "Deal Value", "Tags", "Notes", "Do not import"]
EMAIL, PASSWORD = "owner@e2e.example.com", "correct horse battery"
COMPLETED = re.compile(r"^\s*completed\s*$", re.I)


def sample_row(page):
    """The mapping page's sample row: the element whose id names it (e.g. id="sample-row")."""
    return page.locator("[id*=sample]").first


def csp_errors(page) -> list:
    return [e for e in page.watch.console_errors if "Content Security Policy" in e]


def read_csv(path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8-sig") as f:
        return list(csv.reader(f))


def shows_completed(page) -> bool:
    """The status reads "Completed" on screen (the markup may hold it lower-case and capitalise it in CSS)."""
    status = page.get_by_text(COMPLETED)
    return bool(status.count()) and status.first.inner_text().strip() == "Completed"


def wait_for_completed(page, timeout: float) -> list[dict]:
    """Read the figures every 100 ms until the page shows Completed; return every set of figures seen."""
    seen = [figures(page)]
    deadline = time.monotonic() + timeout
    while not shows_completed(page):
        if time.monotonic() > deadline:
            pytest.fail(f"the import did not show Completed within {timeout} s; figures {seen[-1]}")
        page.wait_for_timeout(100)
        current = figures(page)
        if current != seen[-1]:
            seen.append(current)
    seen.append(figures(page))
    return seen


def start_import_and_land_on_progress(page):
    page.get_by_role("button", name="Start Import").click()
    page.wait_for_load_state()
    expect(page.locator("[data-stat=total]")).to_be_visible()
    for label in ("Total rows", "Processed", "Successful", "Skipped", "Errors"):
        expect(page.get_by_text(label, exact=True).first).to_be_visible()


def filter_leads(page, label, value):
    """Use the leads list's filter control labelled `label`, whether a select or a text box."""
    control = page.get_by_label(label, exact=True)
    if control.evaluate("e => e.tagName") == "SELECT":
        control.select_option(label=value)
    else:
        control.fill(value)
    submit = page.get_by_role("button", name=re.compile(r"^(Filter|Apply|Search)", re.I))
    if submit.count():
        submit.first.click()
    elif control.evaluate("e => e.tagName") != "SELECT":
        control.press("Enter")
    page.wait_for_load_state("networkidle")


def test_signup_login_sidebar_logout(page, live_server):
    signup(page, workspace="Browser Co", email="browser@e2e.example.com", password=PASSWORD)
    sidebar = page.get_by_role("navigation", name="Main")
    expect(sidebar).to_be_visible()
    expect(sidebar.get_by_role("link", name="Leads", exact=True)).to_be_visible()
    expect(sidebar.get_by_role("link", name="Import Leads", exact=True)).to_be_visible()
    expect(sidebar.get_by_role("link", name="System Health")).to_have_count(0)
    expect(sidebar.get_by_text("Browser Co")).to_be_visible()

    page.get_by_role("button", name="Log out", exact=True).click()
    expect(page).to_have_url(re.compile(r"/login"))
    expect(page.get_by_role("navigation", name="Main")).to_have_count(0)
    page.goto("/leads/")
    expect(page).to_have_url(re.compile(r"/login"))

    login(page, "browser@e2e.example.com", "wrong password")
    expect(page.get_by_text("Wrong email or password")).to_be_visible()
    login(page, "browser@e2e.example.com", PASSWORD)
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()
    expect(page).not_to_have_url(re.compile(r"/login"))
    assert not page.watch.dialogs and not page.watch.page_errors and not csp_errors(page)


def test_super_admin_sees_system_health(page, live_server):
    subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", "create-user", "admin@e2e.example.com",
         "--password", PASSWORD, "--workspace", "Ops", "--super-admin"],
        cwd=ROOT, env=live_server.env, check=True, capture_output=True, timeout=60,
    )
    login(page, "admin@e2e.example.com", PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="System Health").click()
    page.wait_for_load_state()
    expect(page.get_by_role("heading", name="System Health").first).to_be_visible()
    expect(page.get_by_text("No worker is running")).to_have_count(0)
    assert not page.watch.dialogs and not page.watch.page_errors and not csp_errors(page)


def test_import_flow(page, live_server, tmp_path):
    text, expected = flow_csv()
    path = tmp_path / "flow-leads.csv"
    path.write_text(text, encoding="utf-8")
    hx_gets = []
    page.on("request", lambda r: hx_gets.append(r.url) if r.method == "GET" and r.headers.get("hx-request") else None)
    hx_posts = []
    page.on("request", lambda r: hx_posts.append(r.url) if r.method == "POST" and r.headers.get("hx-request") else None)

    signup(page, password=PASSWORD)
    open_new_import(page)
    upload(page, path)

    # Automatic mapping: one dropdown per column, labelled by the column name.
    for column, label in FLOW_AUTO_MAPPING.items():
        select = page.get_by_label(column, exact=True)
        expect(select).to_have_count(1)
        assert selected_label(select) == label, column
    options = [o.strip() for o in page.get_by_label("E-mail", exact=True).locator("option").all_inner_texts()]
    assert sorted(options) == sorted(FIELD_LABELS)
    expect(page.get_by_text("not-an-email").first).to_be_visible()  # the preview shows the first rows

    # Changing a dropdown updates the sample row through htmx, without a reload.
    page.evaluate("window.__samePage = 'mapping'")
    expect(sample_row(page)).to_contain_text("Ada")
    expect(sample_row(page)).not_to_contain_text("Teal")
    show_unmapped_columns(page)
    page.get_by_label("Favourite colour", exact=True).select_option(label="Last Name")
    expect(sample_row(page)).to_contain_text("Teal")
    assert page.evaluate("window.__samePage") == "mapping", "the page reloaded"
    assert hx_posts, "the dropdown change did not go through an htmx request"

    # Start with the worker paused, so the figures are seen to move on this page.
    live_server.pause_worker()
    start_import_and_land_on_progress(page)
    progress_url = page.url
    page.evaluate("window.__samePage = 'progress'")
    assert not shows_completed(page)
    expect(page.get_by_role("progressbar").first).to_be_visible()
    expect(page.get_by_role("button", name="Cancel import")).to_be_visible()
    live_server.resume_worker()
    seen = wait_for_completed(page, timeout=60)
    expect(page.get_by_role("button", name="Cancel import")).to_have_count(0)
    expect(page.get_by_role("link", name="View the leads of this import")).to_be_visible()
    expect(page.get_by_role("link", name="Undo import")).to_be_visible()
    assert page.evaluate("window.__samePage") == "progress", "the progress page reloaded"
    assert page.url == progress_url
    assert len(seen) >= 2, f"the figures never changed on the page: {seen}"
    assert seen[-1] == expected.figures()
    assert hx_gets, "the progress was not polled by htmx"

    # Polling stops once finished: no request to the fragment for 3 seconds.
    hx_gets.clear()
    page.wait_for_timeout(3000)
    assert hx_gets == [], f"still polling after completion: {hx_gets}"

    # The history lists the import; its page shows the problems grouped by reason, each with its rows.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Import Leads", exact=True).click()
    page.wait_for_load_state()
    history_row = page.locator("tr", has_text="flow-leads.csv")
    expect(history_row.first).to_be_visible()
    expect(history_row.first).to_contain_text(re.compile("completed", re.I))
    page.get_by_role("link", name="flow-leads.csv").first.click()
    page.wait_for_load_state()
    assert figures(page) == expected.figures()
    for group in ("Email not valid", "Status not recognised", "Deal value not an amount", "Wrong number of fields"):
        expect(page.locator("li.group", has_text=group).first).to_be_visible()
    for value in ("not-an-email", "Maybe", "abc"):
        expect(page.locator("li.group", has_text=value).first).to_be_visible()
    import_page = page.url
    page.get_by_role("link", name="Every skipped and error row").click()
    page.wait_for_load_state()
    for line, kind in expected.issues.items():
        line_cell = page.locator("td", has_text=re.compile(rf"^\s*{line}\s*$"))
        expect(page.locator("tr", has=line_cell).filter(has_text=kind).first).to_be_visible()
    page.goto(import_page)

    # The error report: the original columns plus line and reason, one row per skipped or error row.
    report_link = page.get_by_role("link", name=re.compile("error report", re.I)).or_(
        page.get_by_role("button", name=re.compile("error report", re.I)))
    with page.expect_download() as download_info:
        report_link.first.click()
    report = read_csv(download_info.value.path())
    header, rows = report[0], report[1:]
    assert "line" in header and "reason" in header
    assert set(FLOW_AUTO_MAPPING) - {"Favourite colour"} <= set(header)
    by_line = {int(row[header.index("line")]): dict(zip(header, row)) for row in rows}
    assert sorted(by_line) == sorted(expected.issues)
    assert by_line[5]["E-mail"] == "not-an-email" and by_line[5]["reason"]
    assert all(row["reason"].strip() for row in by_line.values())

    # Leads → filter by source → export: exactly the Webinar leads of the file.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Leads", exact=True).click()
    page.wait_for_load_state()
    filter_leads(page, "Source", "Webinar")
    expect(page.get_by_text("Ada").first).to_be_visible()
    expect(page.get_by_role("cell", name="Gus")).to_have_count(0)
    export = page.get_by_role("link", name=re.compile("export", re.I)).or_(
        page.get_by_role("button", name=re.compile("export", re.I)))
    with page.expect_download() as download_info:
        export.first.click()
    exported = read_csv(download_info.value.path())
    assert exported[0] == EXPORT_HEADER
    got = sorted((dict(zip(EXPORT_HEADER, row)) for row in exported[1:]), key=lambda r: r["first_name"])
    want = sorted((lead for lead in expected.leads if lead["source"] == "Webinar"), key=lambda r: r["first_name"])
    assert got == want
    assert not page.watch.dialogs and not page.watch.page_errors
    assert not csp_errors(page), "htmx or the pages break the Content-Security-Policy"


def test_fifty_thousand_rows_through_the_browser(page, live_server, tmp_path):
    path = tmp_path / "fifty-thousand.csv"
    expected = write_big_csv(path, 50_000)
    signup(page, password=PASSWORD)
    open_new_import(page)
    upload(page, path)
    for column in EXPORT_HEADER:
        assert selected_label(page.get_by_label(column, exact=True)) != "Do not import", column
    start_import_and_land_on_progress(page)
    seen = wait_for_completed(page, timeout=300)
    assert seen[-1] == expected.figures()
    processed = [f["processed"] for f in seen if f["processed"] is not None]
    assert processed == sorted(processed), f"processed went backwards: {processed}"
    assert all(f["processed"] is None or f["total"] is None or f["processed"] <= f["total"] for f in seen)


def test_xss_payloads_show_as_text_and_never_run(page, live_server):
    text, expected = xss_csv()
    signup(page, password=PASSWORD)
    open_new_import(page)
    upload(page, {"name": XSS_FILENAME, "mimeType": "text/csv", "buffer": text.encode()})

    def no_live_payload():
        assert page.locator("a[href^='javascript' i], [src='x']").count() == 0
        assert page.locator("script", has_text="alert").count() == 0
        assert not page.watch.dialogs, page.watch.dialogs

    # Preview and mapping: the column name and the cells are text.
    for payload in (SCRIPT, IMG, JS_URL):
        expect(page.get_by_text(payload, exact=True).first).to_be_visible()
    expect(page.get_by_label(SCRIPT, exact=True)).to_have_count(1)
    show_unmapped_columns(page)
    page.get_by_label(SCRIPT, exact=True).select_option(label="Phone")
    expect(sample_row(page)).to_contain_text(IMG)
    expect(sample_row(page)).to_contain_text(SCRIPT)
    no_live_payload()

    start_import_and_land_on_progress(page)
    assert wait_for_completed(page, timeout=60)[-1] == expected.figures()
    no_live_payload()

    sidebar = page.get_by_role("navigation", name="Main")
    sidebar.get_by_role("link", name="Leads", exact=True).click()
    page.wait_for_load_state()
    expect(page.get_by_text(SCRIPT, exact=True).first).to_be_visible()
    expect(page.get_by_text(IMG, exact=True).first).to_be_visible()
    no_live_payload()

    sidebar.get_by_role("link", name="Import Leads", exact=True).click()
    page.wait_for_load_state()
    expect(page.get_by_text(XSS_FILENAME).first).to_be_visible()
    no_live_payload()
    page.get_by_role("link", name=XSS_FILENAME).first.click()
    page.wait_for_load_state()
    for payload in (SCRIPT, JS_URL):
        expect(page.get_by_text(payload).first).to_be_visible()
    no_live_payload()
    page.wait_for_timeout(500)  # give any injected handler (onerror) its chance to fire
    assert not page.watch.dialogs and not page.watch.page_errors
