"""Start once (jobs/enqueue.py): the import is queued in the database with its mapping frozen, then one
job is on the real queue under a job id of its queue, import and attempt; a second start or enqueue adds
none; with Redis down the import stays queued, and recovery enqueues it once Redis is back."""
import pytest

from leadcrm.extensions import import_queue
from leadcrm.imports.jobs.enqueue import enqueue_job, import_id_of, job_id_for, start_import
from leadcrm.imports.jobs.recovery import recover_stalled_imports
from tests.support.imports import create_import, get_import, lead_count, workspace
# A Redis server of each test alone: the second one kills it and starts it again.
from tests.support.servers import app_config_on_own_redis, own_redis  # noqa: F401

TEXT = "First Name,Email\nAda,ada@example.com\nGrace,\n"
MAPPING = {"First Name": "first_name", "Email": "email"}
DEFAULTS = {"source": "Fair", "status": "", "tags": ["vip"]}
SKIP = {"existing_leads": "skip", "blank_cells": "leave", "tag_mode": "add", "rules": None}


@pytest.fixture(autouse=True)
def app_context(app):
    with app.app_context():
        yield


def uploaded() -> int:
    """An import waiting for its mapping, with its file stored."""
    return create_import(TEXT, workspace(), mapping=None, defaults=None, status="uploaded", queued_at=None)


def test_start_queues_the_import_once_with_one_job(app, run_worker):
    import_id = uploaded()
    job_id = f"{app.config['IMPORT_QUEUE']}-{import_id}-0"
    assert job_id_for(import_id, 0) == job_id
    assert start_import(import_id, MAPPING, DEFAULTS, SKIP) is True
    imp = get_import(import_id)
    assert (imp.status, imp.mapping, imp.defaults, imp.rq_job_id) == ("queued", MAPPING, DEFAULTS, job_id)
    assert imp.queued_at is not None
    assert import_queue().job_ids == [job_id]
    job = import_queue().fetch_job(job_id)
    assert (job.func_name, job.args) == ("leadcrm.imports.jobs.run.run_import", (import_id,))
    assert job.timeout == app.config["IMPORT_JOB_TIMEOUT"]

    assert start_import(import_id, {"First Name": "", "Email": "email"}, {}, SKIP) is False, "a second click"
    assert enqueue_job(import_id) == job_id, "the same attempt: RQ refuses a second job with its id"
    assert import_queue().job_ids == [job_id]
    assert get_import(import_id).mapping == MAPPING

    result = run_worker()
    assert result.returncode == 0, result.stderr
    imp = get_import(import_id)
    assert (imp.status, imp.successful) == ("completed", 2) and lead_count(import_id=import_id) == 2


def test_with_redis_down_the_import_stays_queued_and_recovery_enqueues_it_later(app, own_redis, run_worker):
    import_id = uploaded()
    own_redis.kill()
    assert start_import(import_id, MAPPING, {}, SKIP) is True, "the start is kept in the database"
    imp = get_import(import_id)
    assert (imp.status, imp.rq_job_id) == ("queued", None)
    assert enqueue_job(import_id) is None
    assert recover_stalled_imports() == [], "Redis is still down: the next round will do it"

    own_redis.restart()
    assert recover_stalled_imports() == [import_id]
    job_id = job_id_for(import_id, 0)
    assert get_import(import_id).rq_job_id == job_id and import_queue().job_ids == [job_id]
    assert recover_stalled_imports() == [], "its job is waiting: nothing to recover"
    result = run_worker()
    assert result.returncode == 0, result.stderr
    assert get_import(import_id).status == "completed" and lead_count(import_id=import_id) == 2


def test_a_job_id_names_its_import_whatever_the_attempt(app):
    with app.app_context():
        assert [import_id_of(job_id_for(7, attempt)) for attempt in (0, 3)] == [7, 7]
        other_queue = "other-queue-7-0"
        assert [import_id_of(job_id) for job_id in (None, "", other_queue, job_id_for(7, 0) + "x")] == [None] * 4
