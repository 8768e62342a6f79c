"""The progress section: a polled fragment that stops itself once the import is finished."""
import re
from datetime import timedelta

import pytest
from rq import Worker

from leadcrm.extensions import db, import_queue, redis_connection
from leadcrm.models import utcnow
from tests.conftest import recorded_sql
from tests.support.factories import make_import

HX = {"HX-Request": "true"}


def running_import(app, user, **values):
    now = utcnow()
    fields = dict(status="running", total_rows=1000, processed=250, successful=240, skipped=6, errors=4,
                  started_at=now - timedelta(seconds=10), finished_at=None, heartbeat_at=now)
    fields.update(values)
    with app.app_context():
        return make_import(user["workspace_id"], user["id"], **fields)


def stat(html, name):
    return re.search(rf'data-stat="{name}">([^<]*)<', html).group(1)


def test_running_fragment_polls_and_shows_figures_speed_and_time_left(app, auth_client, user):
    import_id = running_import(app, user)
    response = auth_client.get(f"/imports/{import_id}/progress", headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.lstrip().startswith(f'<section id="import-{import_id}-progress"')
    assert "<html" not in html
    assert 'hx-trigger="every 1s"' in html and 'hx-swap="outerHTML"' in html and 'hx-target="this"' in html
    assert f'hx-get="/imports/{import_id}/progress"' in html
    for label in ("Total rows", "Processed", "Successful", "Skipped", "Errors"):
        assert f"<dt>{label}</dt>" in html
    assert [stat(html, n) for n in ("total", "processed", "successful", "skipped", "errors")] == [
        "1,000", "250", "240", "6", "4"]
    assert '<progress aria-label="Import progress" max="1000" value="250">' in html
    assert "25% done" in html
    assert "25 rows per second" in html and "about 30 s left" in html
    assert "Cancel import" in html
    assert "the importer is not running" not in html


@pytest.mark.parametrize("status", ["completed", "failed", "cancelled"])
def test_finished_fragment_answers_286_without_trigger(app, auth_client, user, status):
    with app.app_context():
        import_id = make_import(user["workspace_id"], user["id"], status=status, error_message="Disk full")
    response = auth_client.get(f"/imports/{import_id}/progress", headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 286
    assert f'id="import-{import_id}-progress"' in html
    assert "hx-trigger" not in html and "hx-get" not in html
    assert "Took 45 s." in html
    assert "Cancel import" not in html
    assert ("The import failed: Disk full" in html) == (status == "failed")
    assert response.headers["HX-Trigger"] == "import-finished"
    # The final poll brings the links that only make sense once finished: no reload needed.
    assert f'href="/leads/?import_id={import_id}">View the leads of this import</a>' in html
    assert f'href="/imports/{import_id}/undo">Undo import</a>' in html


def test_the_running_fragment_offers_the_leads_so_far_but_no_undo(app, auth_client, user):
    import_id = running_import(app, user)
    html = auth_client.get(f"/imports/{import_id}/progress", headers=HX).get_data(as_text=True)
    assert "View the leads of this import" in html
    assert "Undo import" not in html


def test_show_page_includes_the_polling_section_while_running(app, auth_client, user):
    import_id = running_import(app, user)
    html = auth_client.get(f"/imports/{import_id}").get_data(as_text=True)
    assert f'<section id="import-{import_id}-progress"' in html and 'hx-trigger="every 1s"' in html
    assert 'src="/static/vendor/htmx-2.0.11.min.js"' in html
    # The grouped outcome stays current while the import runs, and reloads when the fragment announces the end.
    summary = re.search(rf'<section id="import-{import_id}-summary"[^>]*>', html).group(0)
    assert f'hx-get="/imports/{import_id}/summary"' in summary
    assert 'hx-trigger="every 5s, import-finished from:body"' in summary


def test_queued_with_no_worker_says_so(app, auth_client, user):
    with app.app_context():
        import_id = make_import(user["workspace_id"], user["id"], status="queued", processed=0, successful=0,
                                skipped=0, errors=0, started_at=None, finished_at=None)
    response = auth_client.get(f"/imports/{import_id}/progress", headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and 'hx-trigger="every 1s"' in html
    assert ("This import is waiting: the importer is not running right now.\n"
            "    It starts by itself as soon as the importer runs again; nothing is lost meanwhile.") in html
    assert "Cancel import" in html


def test_queued_with_a_worker_waits_quietly(app, auth_client, user):
    with app.app_context():
        import_id = make_import(user["workspace_id"], user["id"], status="queued", started_at=None, finished_at=None)
        worker = Worker([import_queue()], connection=redis_connection())
        worker.register_birth()
    try:
        response = auth_client.get(f"/imports/{import_id}/progress", headers=HX)
    finally:
        with app.app_context():
            worker.register_death()
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.lstrip().startswith(f'<section id="import-{import_id}-progress"') and 'hx-trigger="every 1s"' in html
    assert 'data-status="queued"' in html and stat(html, "total") == "10" and stat(html, "processed") == "10"
    assert "Cancel import" in html
    assert "the importer is not running" not in html


def test_the_poll_reads_only_the_import_row(app, auth_client, user):
    import_id = running_import(app, user)
    with app.app_context():
        engine = db.engine
    with recorded_sql(engine) as statements:
        assert auth_client.get(f"/imports/{import_id}/progress", headers=HX).status_code == 200
    # The login session's user, then the import by primary key: nothing else.
    queries = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(queries) == 2, queries
    assert "FROM lead_import" in queries[1] and "lead_import.id =" in queries[1]


def test_cancel_button_posts_and_running_import_is_asked_to_stop(app, auth_client, user):
    import_id = running_import(app, user)
    response = auth_client.post(f"/imports/{import_id}/cancel")
    assert response.status_code == 303 and response.headers["Location"] == f"/imports/{import_id}"
    html = auth_client.get(f"/imports/{import_id}/progress", headers=HX).get_data(as_text=True)
    assert "cancelling at the next batch" in html and "Cancel import" not in html
    assert 'hx-trigger="every 1s"' in html


STOPPED = ("The worker processing this import stopped.\n"
           "  It will resume from row 120,001 by itself as soon as a worker is free.")


def test_a_stale_running_import_says_its_worker_stopped_and_shows_no_time_left(app, auth_client, user):
    stale = utcnow() - timedelta(seconds=app.config["IMPORT_STALE_SECONDS"] + 1)
    import_id = running_import(app, user, total_rows=300_000, processed=120_000, checkpoint_rows=120_000,
                               successful=120_000, skipped=0, errors=0, heartbeat_at=stale,
                               started_at=stale - timedelta(seconds=60))
    response = auth_client.get(f"/imports/{import_id}/progress", headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and 'hx-trigger="every 1s"' in html, "it keeps polling: it resumes by itself"
    assert STOPPED in html
    assert "rows per second" not in html and "data-timing" not in html
    row = auth_client.get(f"/imports/{import_id}/row", headers=HX).get_data(as_text=True)
    assert STOPPED in row


def test_a_live_import_says_nothing_of_a_stopped_worker(app, auth_client, user):
    import_id = running_import(app, user)
    assert "stopped" not in auth_client.get(f"/imports/{import_id}/progress", headers=HX).get_data(as_text=True)
    assert "stopped" not in auth_client.get(f"/imports/{import_id}/row", headers=HX).get_data(as_text=True)


def test_the_rate_is_measured_up_to_the_last_heartbeat_so_time_left_counts_down(app, auth_client, user):
    # 250 rows in the 10 s up to the last heartbeat, 10 s ago: 25 rows/s, 750 rows = 30 s from then, 20 s from now.
    now = utcnow()
    import_id = running_import(app, user, started_at=now - timedelta(seconds=20),
                               heartbeat_at=now - timedelta(seconds=10))
    html = auth_client.get(f"/imports/{import_id}/progress", headers=HX).get_data(as_text=True)
    assert '<span data-timing="rate">25 rows per second</span>' in html
    assert '<span data-timing="left">about 20 s left</span>' in html
