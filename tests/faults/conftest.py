"""Fault-injection fixtures: real worker processes that can be stopped or killed as a group, a private
Redis server per test process (tests/support/servers.py), and imports queued without the browser."""
import time
from pathlib import Path

import pytest
import redis

from leadcrm.extensions import db
from tests.support.imports import create_import
from tests.support.servers import Workers, _empty_redis, process_redis, redis_url  # noqa: F401  (a Redis per test process)


@pytest.fixture
def workers(subprocess_env, tmp_path):
    pool = Workers({**subprocess_env, "IMPORT_STALE_SECONDS": "3", "IMPORT_RECOVERY_INTERVAL": "1",
                    "PYTHONUNBUFFERED": "1"}, tmp_path)
    yield pool
    pool.stop_all()


def import_state(app, import_id: int) -> dict:
    """The import's row as a dict, read in a fresh transaction."""
    from leadcrm.models import LeadImport

    with app.app_context():
        row = db.session.get(LeadImport, import_id)
        state = {c.name: getattr(row, c.name) for c in LeadImport.__table__.columns}
        db.session.remove()
        return state


def wait_for_import(app, import_id: int, predicate, timeout: float, what: str, tolerate_db_errors=False,
                    details=None) -> dict:
    """Poll the import row every 50 ms until predicate(state) holds; fail with the last state after timeout."""
    from sqlalchemy.exc import DBAPIError

    deadline = time.monotonic() + timeout
    state = None
    while True:
        try:
            state = import_state(app, import_id)
        except DBAPIError:
            if not tolerate_db_errors:
                raise
            with app.app_context():
                db.session.remove()
        else:
            if predicate(state):
                return state
        if time.monotonic() > deadline:
            extra = f"\n{details()}" if details else ""
            pytest.fail(f"import {import_id}: no {what} within {timeout} s; last state {_brief(state)}{extra}")
        time.sleep(0.05)


def _brief(state):
    if not state:
        return state
    keys = ("status", "total_rows", "processed", "successful", "skipped", "errors", "attempt", "error_message")
    return {k: state.get(k) for k in keys}


def queue_import(app, workspace_id: int, user_id: int, csv_path: Path, enqueue: bool = True) -> int:
    """Create a queued import of csv_path with the automatic mapping (as Start Import leaves it) and enqueue it."""
    from leadcrm.imports.jobs.enqueue import enqueue_job

    with app.app_context():
        import_id = create_import(csv_path.read_bytes(), workspace_id, created_by_id=user_id,
                                  original_filename=csv_path.name)
        if enqueue:
            enqueue_job(import_id)
        db.session.remove()
    return import_id


def lead_counts(app, workspace_id: int) -> dict:
    """Leads of the workspace: total, with email, distinct email keys, per import."""
    from leadcrm.models import Lead

    with app.app_context():
        q = db.select(db.func.count()).select_from(Lead).filter_by(workspace_id=workspace_id)
        total = db.session.scalar(q)
        with_email = db.session.scalar(q.where(Lead.email_key.is_not(None)))
        distinct = db.session.scalar(db.select(db.func.count(db.distinct(Lead.email_key)))
                                     .filter_by(workspace_id=workspace_id))
        per_import = dict(db.session.execute(db.select(Lead.import_id, db.func.count()).filter_by(
            workspace_id=workspace_id).group_by(Lead.import_id)).all())
        lines = db.session.execute(db.select(Lead.import_id, Lead.import_line, db.func.count()).filter_by(
            workspace_id=workspace_id).group_by(Lead.import_id, Lead.import_line).having(db.func.count() > 1)).all()
        db.session.remove()
    return {"total": total, "with_email": with_email, "distinct_emails": distinct, "per_import": per_import,
            "repeated_lines": lines}


def assert_adds_up(state: dict) -> None:
    """Never half-counted: processed = successful + skipped + errors, and ≤ total once known."""
    assert state["processed"] == state["successful"] + state["skipped"] + state["errors"], _brief(state)
    if state["total_rows"] is not None:
        assert state["processed"] <= state["total_rows"], _brief(state)


def worker_count(app) -> int:
    """RQ workers listening on the test's import queue."""
    from rq import Queue, Worker

    connection = redis.Redis.from_url(app.config["REDIS_URL"])
    return Worker.count(queue=Queue(app.config["IMPORT_QUEUE"], connection=connection))


def wait_for_workers(app, count: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while worker_count(app) != count:
        if time.monotonic() > deadline:
            pytest.fail(f"expected {count} live workers on the queue, found {worker_count(app)}")
        time.sleep(0.1)


def finished(state: dict) -> bool:
    return state["status"] in ("completed", "failed", "cancelled")


def figures(state: dict) -> dict:
    return {"total": state["total_rows"], "processed": state["processed"], "successful": state["successful"],
            "skipped": state["skipped"], "errors": state["errors"]}
