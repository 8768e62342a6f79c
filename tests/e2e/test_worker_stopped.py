"""A running import whose worker stopped, seen in the browser: its page and the history say so plainly and
show no time left (issue 15). The import row is written straight to the database with a stale heartbeat;
the server's worker is paused (SIGSTOP), so that its recovery does not resume the import meanwhile."""
from datetime import timedelta

from playwright.sync_api import expect
from sqlalchemy import create_engine, insert, select

from leadcrm.models import LeadImport, User, utcnow
from tests.e2e.conftest import signup

STOPPED = ("The worker processing this import stopped. "
           "It will resume from row 120,001 by itself as soon as a worker is free.")


def test_the_page_of_an_import_whose_worker_stopped_says_so(page, live_server, database_url_for_test):
    signup(page)
    live_server.pause_worker()
    engine = create_engine(database_url_for_test)
    try:
        with engine.begin() as conn:
            user = conn.execute(select(User.id, User.workspace_id)).one()
            beat = utcnow() - timedelta(minutes=2)
            import_id = conn.execute(insert(LeadImport).values(
                workspace_id=user.workspace_id, created_by_id=user.id, original_filename="big.csv",
                stored_name="big.csv", size_bytes=1, header=["email"], mapping={"email": "email"}, status="running",
                total_rows=300_000, processed=120_000, checkpoint_rows=120_000, successful=120_000, attempt=1,
                started_at=beat - timedelta(seconds=60), heartbeat_at=beat,
            ).returning(LeadImport.id)).scalar()
    finally:
        engine.dispose()

    page.goto(f"/imports/{import_id}")
    progress = page.locator(f"#import-{import_id}-progress")
    expect(progress.get_by_role("status")).to_have_text(STOPPED)
    expect(progress).not_to_contain_text("left")
    expect(progress).not_to_contain_text("rows per second")
    with page.expect_response(lambda response: response.url.endswith(f"/imports/{import_id}/progress")):
        pass  # a poll later (it keeps polling: the import resumes by itself), the fragment still says it
    expect(progress.get_by_role("status")).to_have_text(STOPPED)

    page.goto("/imports/")
    expect(page.locator(f"#import-{import_id}-row").get_by_role("status")).to_have_text(STOPPED)
