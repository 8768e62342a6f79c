"""Update mode and the whole-file check as a person uses them, in a real browser against the real app:
update existing leads, read the changes, undo them back to the same export; check a file on the queue,
read its groups, download a group's rows, start the import from the check and get the check's figures."""
import re

from playwright.sync_api import expect

from tests.e2e.conftest import figures, open_new_import, signup, upload, wait_until
from tests.support.csvfiles import write_big_csv
from tests.e2e.test_import_flow import read_csv, start_import_and_land_on_progress, wait_for_completed

BASE = "first_name,email,phone,status,tags\nAnn,ann@example.com,111,new,vip\nBob,bob@example.com,222,lost,\n"
CHANGED = "first_name,email,phone,status,tags\nAnn,ann@example.com,999,contacted,new\nCy,cy@example.com,3,,\n"


def import_file(page, path):
    open_new_import(page)
    upload(page, path)
    start_import_and_land_on_progress(page)
    wait_for_completed(page, timeout=60)


def export(page) -> list[list[str]]:
    page.goto("/leads/")
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("export", re.I)).first.click()
    return sorted(read_csv(download.value.path())[1:])


def test_update_existing_leads_see_the_changes_and_undo_them(page, live_server, tmp_path):
    signup(page)
    base, changed = tmp_path / "base.csv", tmp_path / "changed.csv"
    base.write_text(BASE)
    changed.write_text(CHANGED)
    import_file(page, base)
    before = export(page)

    open_new_import(page)
    upload(page, changed)
    page.get_by_label("Update them with this file's values").check()
    expect(page.get_by_text("Blank cells")).to_be_visible()
    sample = page.locator("[data-sample-update]")
    expect(sample).to_contain_text("will update")
    expect(sample).to_contain_text("Phone: 111 → 999")
    expect(sample).to_contain_text("Status: new → contacted")
    start_import_and_land_on_progress(page)
    wait_for_completed(page, timeout=60)
    assert figures(page) == {"total": 2, "processed": 2, "successful": 2, "skipped": 0, "errors": 0}
    expect(page.locator("[data-stat-split]")).to_contain_text("1 new, 1 updated")

    page.get_by_role("link", name=re.compile("See every change")).click()
    rows = page.locator("table.changes tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.filter(has_text="Phone")).to_contain_text("111")
    expect(rows.filter(has_text="Phone")).to_contain_text("999")
    expect(rows.filter(has_text="Tags")).to_contain_text("new, vip")
    page.go_back()

    page.get_by_role("link", name="Undo import").click()
    page.get_by_role("button", name=re.compile("put back 3 values")).click()
    expect(page.get_by_text("Import undone: 1 lead deleted, 3 values put back.")).to_be_visible()
    assert export(page) == before
    assert not page.watch.page_errors


def test_check_the_whole_file_then_start_the_import_from_the_check(page, live_server, tmp_path):
    signup(page)
    path = tmp_path / "big.csv"
    expected = write_big_csv(path, 3000)  # larger than what the mapping page reads: the check goes on the queue
    open_new_import(page)
    upload(page, path)
    page.get_by_role("button", name="Check the whole file").click()
    page.wait_for_load_state()
    expect(page.get_by_role("heading", name="Check of the whole file")).to_be_visible()
    expect(page.get_by_role("heading", name="What the import would do")).to_be_visible(timeout=60_000)
    expect(page.get_by_role("button", name="Start Import")).to_be_visible(timeout=60_000)
    checked = figures(page)
    assert checked == {"total": expected.total, "processed": expected.total, "successful": expected.successful,
                       "skipped": expected.skipped, "errors": expected.errors}

    group = page.locator("li.group", has_text="Email not valid")
    count = int(group.locator("[data-group-count]").inner_text())
    assert count == sum(1 for i in range(3000) if i % 50 == 13)  # the file's bad emails (see write_big_csv)
    with page.expect_download() as download:
        group.get_by_role("link", name="Download them (CSV)").click()
    rows = read_csv(download.value.path())
    assert len(rows) == count + 1 and all("not a valid email" in row[-1] for row in rows[1:])

    page.get_by_role("button", name="Start Import").click()
    page.wait_for_load_state()
    wait_until(lambda: page.locator("[data-status=completed]").count() > 0, 60, message="the import to complete")
    page.reload()
    assert figures(page) == checked
    expect(page.locator("[data-check-differs]")).to_have_count(0)
    assert not page.watch.page_errors
