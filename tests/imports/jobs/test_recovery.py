"""Recovery (jobs/recovery.py), run by every worker: a queued import whose job Redis lost is enqueued again,
a stale running one is queued again, a fresh one is left alone, and one that keeps dying is given up on."""
from datetime import timedelta

import pytest
import redis
from sqlalchemy import update

from leadcrm import embedded_redis
from leadcrm.extensions import db
from leadcrm.imports.engine.process import process_import
from leadcrm.imports.jobs.enqueue import enqueue_job
from leadcrm.imports.jobs.recovery import MAX_ATTEMPTS, recover_stalled_imports
from leadcrm.models import LeadImport, utcnow
from tests.support.imports import create_import, get_import, lead_count, workspace


@pytest.fixture
def redis_url(tmp_path):
    """A Redis server of this test alone: it gets flushed, and other tests share TEST_REDIS_URL."""
    folder = tmp_path / "redis"
    yield embedded_redis.ensure_running(folder)
    embedded_redis.stop(folder)


@pytest.fixture(autouse=True)
def app_context(app):
    with app.app_context():
        yield


def test_a_queued_import_whose_job_redis_lost_is_recovered_when_a_worker_starts(app, run_worker, redis_url):
    import_id = create_import("email,first_name\na@example.com,Ann\n,No email\n", workspace())
    assert enqueue_job(import_id)
    redis.Redis.from_url(redis_url).flushdb()
    result = run_worker()
    assert result.returncode == 0, result.stderr
    imp = get_import(import_id)
    assert imp.status == "completed" and imp.successful == 2
    assert lead_count(workspace_id=imp.workspace_id) == 2


def test_a_running_import_with_a_fresh_heartbeat_is_left_alone(app):
    import_id = create_import("email\na@example.com\n", workspace())
    db.session.execute(update(LeadImport).filter_by(id=import_id).values(status="running", attempt=1, heartbeat_at=utcnow()))
    db.session.commit()
    assert recover_stalled_imports() == []
    assert get_import(import_id).status == "running"


def test_recovery_gives_up_after_repeated_crashes(app):
    import_id = create_import("email\na@example.com\n", workspace())
    old = utcnow() - timedelta(hours=1)
    db.session.execute(update(LeadImport).filter_by(id=import_id).values(
        status="running", attempt=MAX_ATTEMPTS, heartbeat_at=old))
    db.session.commit()
    assert recover_stalled_imports() == []
    imp = get_import(import_id)
    assert imp.status == "failed" and f"interrupted {MAX_ATTEMPTS} times" in imp.error_message


def test_a_stale_running_import_is_queued_again(app):
    import_id = create_import("email\na@example.com\n", workspace())
    db.session.execute(update(LeadImport).filter_by(id=import_id).values(
        status="running", attempt=1, heartbeat_at=utcnow() - timedelta(hours=1)))
    db.session.commit()
    assert recover_stalled_imports() == [import_id]
    assert recover_stalled_imports() == []  # its job is now waiting in the queue
    assert get_import(import_id).status == "queued"
    assert process_import(import_id)["status"] == "completed"
