"""The pages on a desktop and on a phone (issue 15), in a real browser against the real app: every page fits
390 px without scrolling sideways, the menu folds away on a phone and marks the current page, the mapping page
of a 30-column file keeps Start Import in the window, mapping problems show next to the dropdowns, a typed
source reaches the sample row as it is typed, figures are explained and grouped in thousands, times are local,
and a lead has its own page. Each page is saved as a screenshot in the test's folder."""
import re
import subprocess
import sys
from datetime import datetime, timedelta

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import ROOT, login, upload
from tests.e2e.test_import_flow import sample_row, start_import_and_land_on_progress, wait_for_completed
from tests.support.csvfiles import wide_csv

PASSWORD = "correct horse battery"
ADMIN = "admin@e2e.example.com"
SCREENS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
# New York: the page must show times five hours behind the UTC the server writes (December: EST).
TIME_ZONE, UTC_OFFSET = "America/New_York", timedelta(hours=-5)
UPDATE = "Email,Phone\nperson1@wide.example,+1 555 9999999\n"


@pytest.fixture(params=SCREENS)
def screen(request, browser, live_server):
    """A page of the live server at the screen's size, in New York time; a super admin logged in."""
    subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", "create-user", ADMIN, "--password", PASSWORD,
         "--workspace", "Wide Co", "--super-admin"],
        cwd=ROOT, env=live_server.env, check=True, capture_output=True, timeout=60,
    )
    context = browser.new_context(base_url=live_server.url, viewport=SCREENS[request.param],
                                  timezone_id=TIME_ZONE, locale="en-US", accept_downloads=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    # A failed request is named by its response below (the browser's own favicon request aside).
    page.on("console", lambda msg: errors.append(msg.text)
            if msg.type == "error" and not msg.text.startswith("Failed to load resource") else None)
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}")
            if r.status >= 400 and not r.url.endswith("/favicon.ico") else None)
    page.screen, page.errors = request.param, errors
    yield page
    context.close()


def look(page, tmp_path, name):
    """Save the whole page as a screenshot, then check that it does not scroll sideways and had no error."""
    page.wait_for_load_state("networkidle")
    # caret="initial": hiding the caret leaves style attributes behind, which htmx copies as it settles a swap
    # and the CSP then refuses.
    page.screenshot(path=tmp_path / f"{page.screen}-{name}.png", full_page=True, caret="initial")
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"{name} scrolls sideways at {page.screen} size: {width}"
    assert page.errors == [], page.errors


def menu(page):
    """The main navigation's links, opening the menu first on a phone."""
    nav = page.get_by_role("navigation", name="Main")
    toggle = nav.get_by_role("button", name="Menu")
    if page.screen == "phone":
        expect(nav.get_by_role("link", name="Leads", exact=True)).to_be_hidden()
        toggle.click()
        expect(toggle).to_have_attribute("aria-expanded", "true")
    else:
        expect(toggle).to_be_hidden()
    return nav


def in_window(page, locator) -> bool:
    box = locator.bounding_box()
    return box is not None and 0 <= box["y"] and box["y"] + box["height"] <= page.viewport_size["height"]


def local(utc_text: str) -> datetime:
    return datetime.fromisoformat(utc_text.rstrip("Z")) + UTC_OFFSET


def test_every_page_on_a_desktop_and_a_phone(screen, live_server, tmp_path):
    page = screen
    page.goto("/login")
    look(page, tmp_path, "login")
    login(page, ADMIN, PASSWORD)

    nav = menu(page)
    expect(nav.get_by_role("link", name="Leads", exact=True)).to_have_attribute("aria-current", "page")
    nav.get_by_role("link", name="Import Leads", exact=True).click()
    page.wait_for_load_state()
    nav = menu(page)
    expect(nav.get_by_role("link", name="Import Leads", exact=True)).to_have_attribute("aria-current", "page")
    expect(nav.get_by_role("link", name="Leads", exact=True)).not_to_have_attribute("aria-current", "page")

    page.goto("/imports/new")
    look(page, tmp_path, "upload")
    path = tmp_path / "wide.csv"
    path.write_text(wide_csv(1500))
    upload(page, path)

    # The mapping page of a 30-column file.
    expect(page.locator("[data-columns-count]")).to_have_text("8 of 30 columns will be imported")
    unused = page.locator("details.unmapped-columns")
    expect(unused.locator("summary")).to_contain_text("22 columns not imported")
    expect(page.get_by_label("Custom field 1", exact=True)).to_be_hidden()
    start = page.get_by_role("button", name="Start Import")
    check = page.get_by_role("button", name="Check the whole file")
    look(page, tmp_path, "mapping")
    page.screenshot(path=tmp_path / f"{page.screen}-mapping-window.png", caret="initial")
    assert in_window(page, start) and in_window(page, check)
    page.mouse.wheel(0, 1500)
    page.wait_for_timeout(200)
    assert in_window(page, start), "Start Import scrolled out of the window"
    unused.locator("summary").click()
    expect(page.get_by_label("Custom field 1", exact=True)).to_be_visible()
    look(page, tmp_path, "mapping-all-columns")

    # Two columns on one field: said next to both dropdowns, and gone once fixed.
    page.get_by_label("Last Name", exact=True).select_option(label="Email")
    problems = page.locator("[data-column-problem]:not(:empty)")
    expect(problems).to_have_count(2)
    expect(page.locator("#col_1-problem")).to_have_text(
        "Email is also chosen for 'Email'. Keep it on one column: set the others to 'Do not import'.")
    expect(page.locator("#col_2-problem")).to_contain_text("Email is also chosen for 'Last Name'.")
    look(page, tmp_path, "mapping-problem")
    page.get_by_label("Last Name", exact=True).select_option(label="Last Name")
    expect(problems).to_have_count(0)

    # A typed source reaches the sample row while the field still has the focus.
    source = page.get_by_label("Source", exact=True)
    source.press_sequentially("Fair 2026", delay=40)
    expect(sample_row(page)).to_contain_text("Fair 2026")
    assert source.evaluate("e => e === document.activeElement")

    start_import_and_land_on_progress(page)
    wait_for_completed(page, timeout=90)
    for figure, hint in (("skipped", "duplicates or invalid data"),
                         ("errors", "rows that could not be processed, e.g. a broken CSV record")):
        expect(page.locator(f"[data-stat={figure}] + .hint")).to_have_text(hint)
    expect(page.locator("[data-stat=total]")).to_have_text("1,500")
    expect(page.locator("[data-stat=successful]")).to_have_text("1,498")
    expect(page.get_by_text("100% done")).to_be_visible()
    expect(page.locator("[data-group]")).to_have_count(2)
    expect(page.locator("[data-timing=elapsed]")).not_to_have_text("Took 0 s.")
    look(page, tmp_path, "outcome")
    stamp = page.locator("h1 + p.muted time")
    expect(stamp).to_have_text(re.compile(r"^(just now|\d+ min ago)$"))
    expected = local(stamp.get_attribute("datetime"))
    assert expected.strftime("%I:%M %p") in stamp.get_attribute("title")
    assert "EST" in stamp.get_attribute("title")
    import_url = page.url

    page.get_by_role("link", name="Every skipped and error row").click()
    page.wait_for_load_state()
    expect(page.locator("table tbody tr")).to_have_count(2)
    look(page, tmp_path, "issues")

    page.goto("/imports/")
    expect(page.locator("table.history tbody tr").first.locator("[data-stat=total]")).to_have_text("1,500")
    look(page, tmp_path, "history")

    # An update of one lead, for the list of changes and the lead page.
    update = tmp_path / "update.csv"
    update.write_text(UPDATE)
    page.goto("/imports/new")
    upload(page, update)
    page.get_by_label("Update them with this file's values").check()
    start_import_and_land_on_progress(page)
    wait_for_completed(page, timeout=60)
    page.get_by_role("link", name=re.compile("See every change")).click()
    page.wait_for_load_state()
    look(page, tmp_path, "changes")

    page.goto("/leads/")
    expect(page.get_by_text("1,498 leads")).to_be_visible()
    look(page, tmp_path, "leads")
    page.get_by_label("Search").fill("First1 Last1")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_load_state()
    expect(page.get_by_text("1 lead", exact=True)).to_be_visible()
    page.get_by_role("link", name="First1 Last1", exact=True).click()
    page.wait_for_load_state()
    expect(page.get_by_role("heading", name="First1 Last1")).to_be_visible()
    expect(page.locator("[data-field=phone]")).to_have_text("+1 555 9999999")
    expect(page.locator("[data-field=tags]")).to_have_text("wide")
    expect(page.locator("[data-created-by]")).to_contain_text("Created by the import of wide.csv, line 2 of the file")
    expect(page.locator("[data-changed-by]")).to_contain_text("Updated by the import of update.csv, line 2")
    expect(page.locator("[data-changed-by]")).to_contain_text("Phone: +1 555 0000001 → +1 555 9999999")
    look(page, tmp_path, "lead")
    page.locator("[data-created-by]").get_by_role("link", name="wide.csv").click()
    expect(page).to_have_url(import_url)

    page.goto("/system-health")
    look(page, tmp_path, "system-health")
