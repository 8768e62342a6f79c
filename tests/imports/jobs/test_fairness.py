"""The fair share (jobs/fairness.py, jobs/run.py, the claim's limit): at most IMPORTS_PER_WORKSPACE imports of
a workspace run; a job whose workspace is at its limit runs another workspace's import or ends at once; a
waiting import gets its job when its workspace has room; its page and the history say what it waits for."""
import pytest
from sqlalchemy import update

from leadcrm.extensions import db, import_queue
from leadcrm.imports import lifecycle
from leadcrm.imports.jobs.enqueue import enqueue_job
from leadcrm.imports.jobs.recovery import recover_stalled_imports
from leadcrm.models import LeadImport, utcnow
from tests.support.imports import create_import, get_import

FILE = "email\na@example.com\nb@example.com\n"


@pytest.fixture(autouse=True)
def app_context(app, queue):
    with app.app_context():
        yield


def running(workspace_id: int) -> int:
    """An import of the workspace running right now (fresh heartbeat), as a live worker leaves it."""
    return create_import(FILE, workspace_id, status="running", heartbeat_at=utcnow(), started_at=utcnow(), attempt=1)


def claim(import_id: int, limit: int | None):
    with db.engine.connect() as conn:
        claimed = lifecycle.claim(conn, import_id, limit)
        conn.commit()
    return claimed


def test_the_claim_refuses_an_import_beyond_its_workspaces_limit(workspaces):
    acme, globex = workspaces
    first, second = running(acme), running(acme)
    waiting, other = create_import(FILE, acme), create_import(FILE, globex)
    assert claim(waiting, limit=2) is None
    assert get_import(waiting).status == "queued" and get_import(waiting).attempt == 0
    assert claim(other, limit=2).id == other, "another workspace's import is not held back"
    assert claim(waiting, limit=3).id == waiting
    assert [get_import(i).status for i in (first, second, waiting)] == ["running"] * 3
    assert claim(create_import(FILE, acme), limit=None) is not None, "the command line runs its import at once"


def test_a_job_of_a_workspace_at_its_limit_runs_another_workspaces_import_and_holds_no_worker(workspaces, run_worker):
    acme, globex = workspaces
    busy = [running(acme), running(acme)]
    waiting, other = create_import(FILE, acme), create_import(FILE, globex)
    assert enqueue_job(waiting)  # only the waiting import has a job
    result = run_worker()
    assert result.returncode == 0, result.stderr
    assert get_import(other).status == "completed", "the waiting import's job ran the other workspace's"
    assert get_import(waiting).status == "queued"
    assert import_queue().count == 0, "nothing waits on the queue: the import waits for its workspace"

    db.session.execute(update(LeadImport).where(LeadImport.id == busy[0])
                       .values(status="completed", finished_at=utcnow()))
    db.session.commit()
    assert recover_stalled_imports() == [waiting], "a place is free: the waiting import gets a job"
    result = run_worker()
    assert result.returncode == 0, result.stderr
    assert get_import(waiting).status == "completed"


def test_an_import_that_ends_hands_its_place_to_the_waiting_import_of_its_workspace(workspaces, run_worker, app):
    acme, _ = workspaces
    app.config["IMPORTS_PER_WORKSPACE"] = 1
    first, second = create_import(FILE, acme), create_import(FILE, acme)
    assert enqueue_job(first) and enqueue_job(second)
    result = run_worker(IMPORTS_PER_WORKSPACE="1")
    assert result.returncode == 0, result.stderr
    assert [get_import(i).status for i in (first, second)] == ["completed", "completed"]
    assert get_import(first).finished_at <= get_import(second).started_at, "one at a time"


def test_a_waiting_import_says_what_it_waits_for(workspaces, auth_client, user):
    acme = user["workspace_id"]
    running(acme), running(acme)
    waiting = create_import(FILE, acme, created_by_id=user["id"])
    progress = auth_client.get(f"/imports/{waiting}/progress", headers={"HX-Request": "true"})
    assert "waiting: 2 of your imports are running" in progress.get_data(as_text=True)
    history = auth_client.get("/imports/").get_data(as_text=True)
    assert history.count("waiting: 2 of your imports are running") == 1
    row = auth_client.get(f"/imports/{waiting}/row", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "waiting: 2 of your imports are running" in row


def test_a_queued_import_with_room_does_not_say_waiting(auth_client, user):
    running(user["workspace_id"])
    queued = create_import(FILE, user["workspace_id"])
    progress = auth_client.get(f"/imports/{queued}/progress", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "data-status=\"queued\"" in progress and "of your imports" not in progress
