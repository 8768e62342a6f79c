"""lifecycle: each transition is one compare-and-set on both engines: it moves an import from the states
it names, writes what it says, and leaves an import in any other state exactly as it was; the fence
lets only the attempt that owns a running import write."""
from datetime import timedelta

import pytest
from rq import Worker

from leadcrm import create_app
from leadcrm.extensions import db, import_queue, redis_connection
from leadcrm.imports import lifecycle
from leadcrm.imports.lifecycle import Fenced, Signal
from leadcrm.models import FINISHED_IMPORT_STATUSES, IMPORT_STATUSES, LeadImport, utcnow
from tests.support.factories import make_import
from tests.support.servers import free_port

MAPPING = {"Email": "email", "First Name": "first_name", "Company": ""}
DEFAULTS = {"source": "fair", "status": "", "tags": ["vip"]}
SKIP = {"existing_leads": "skip", "blank_cells": "leave", "tag_mode": "add", "rules": None}
WRITTEN = object()  # a time the transition writes: now
STALE = timedelta(hours=1)

# transition(session, import_id) → whether it moved the import; the states it moves an import from, and
# what it writes there. The imports it is tried on have a stale heartbeat (see imports_in_every_state).
TRANSITIONS = {
    "start": (lambda session, i: lifecycle.start(session, i, MAPPING, DEFAULTS, SKIP),
              {"uploaded": {"status": "queued", "mapping": MAPPING, "defaults": DEFAULTS, "queued_at": WRITTEN}}),
    "claim": (lambda session, i: lifecycle.claim(session.connection(), i) is not None,
              {state: {"status": "running", "attempt": 2, "heartbeat_at": WRITTEN, "error_message": None}
               for state in ("queued", "running")}),
    "cancel": (lifecycle.cancel,
               {"queued": {"status": "cancelled", "cancel_requested": True, "finished_at": WRITTEN},
                "running": {"cancel_requested": True}}),
    "release_stale": (lambda session, i: lifecycle.release_stale(session, i, lifecycle.stale_before()),
                      {"running": {"status": "queued", "queued_at": WRITTEN}}),
    "requeue_failed": (lifecycle.requeue_failed,
                       {"failed": {"status": "queued", "queued_at": WRITTEN, "finished_at": None, "error_message": None}}),
    "give_up": (lambda session, i: lifecycle.give_up(session, i, lifecycle.stale_before(), "Interrupted 5 times."),
                {"running": {"status": "failed", "finished_at": WRITTEN, "error_message": "Interrupted 5 times."}}),
    "mark_undone": (lifecycle.mark_undone, {state: {"undone_at": WRITTEN} for state in FINISHED_IMPORT_STATUSES}),
}


def imports_in_every_state(workspace_id: int) -> dict[str, int]:
    """One import in each state, attempt 1, with an earlier error message and a stale heartbeat."""
    return {status: make_import(workspace_id, status=status, heartbeat_at=utcnow() - STALE, error_message="earlier")
            for status in IMPORT_STATUSES}


def row(import_id: int) -> dict:
    db.session.expire_all()
    imp = db.session.get(LeadImport, import_id)
    return {column.name: getattr(imp, column.name) for column in LeadImport.__table__.columns}


@pytest.mark.parametrize("name", TRANSITIONS)
def test_a_transition_moves_only_the_states_it_names_and_writes_what_it_says(app, workspaces, name):
    transition, moves = TRANSITIONS[name]
    imports = imports_in_every_state(workspaces[0])
    before = {status: row(import_id) for status, import_id in imports.items()}
    started = utcnow()
    moved = {status: transition(db.session, import_id) for status, import_id in imports.items()}
    db.session.commit()
    assert moved == {status: status in moves for status in IMPORT_STATUSES}
    for status, import_id in imports.items():
        after, writes = row(import_id), moves.get(status, {})
        for column, value in writes.items():
            if value is WRITTEN:
                assert after[column] >= started, (status, column)
            else:
                assert after[column] == value, (status, column)
        unchanged = {column for column in after if column not in writes}
        assert {c: after[c] for c in unchanged} == {c: before[status][c] for c in unchanged}, status


def test_a_running_import_whose_worker_beats_is_neither_claimed_released_nor_given_up(app, workspaces):
    running = make_import(workspaces[0], status="running", heartbeat_at=utcnow())
    before = row(running)
    assert lifecycle.claim(db.session.connection(), running) is None
    assert not lifecycle.release_stale(db.session, running, lifecycle.stale_before())
    assert not lifecycle.give_up(db.session, running, lifecycle.stale_before(), "gave up")
    db.session.commit()
    assert row(running) == before


def test_a_running_import_that_never_beat_is_stale(app, workspaces):
    running = make_import(workspaces[0], status="running", heartbeat_at=None)
    assert lifecycle.release_stale(db.session, running, lifecycle.stale_before())
    db.session.commit()
    assert row(running)["status"] == "queued"


def test_claim_hands_the_engine_the_import_and_its_fencing_token(app, workspaces):
    import_id = make_import(workspaces[0], status="queued", attempt=3, started_at=None, checkpoint_rows=40,
                            heartbeat_at=None)
    claimed = lifecycle.claim(db.session.connection(), import_id)
    db.session.commit()
    imp = row(import_id)
    assert (claimed.id, claimed.attempt, claimed.workspace_id, claimed.checkpoint_rows) == (
        import_id, 4, workspaces[0], 40)
    assert (claimed.stored_name, claimed.header, claimed.mapping) == (imp["stored_name"], imp["header"], imp["mapping"])
    assert imp["started_at"] == imp["heartbeat_at"] is not None, "a first start is stamped"
    assert lifecycle.claim(db.session.connection(), import_id) is None, "a second worker finds nothing to claim"


def test_only_the_attempt_that_owns_the_import_writes_through_the_fence(app, workspaces):
    import_id = make_import(workspaces[0], status="queued", attempt=0, processed=0, finished_at=None)
    conn = db.session.connection()
    first = lifecycle.claim(conn, import_id)
    assert lifecycle.fence(conn, first, processed=5) is Signal.CONTINUE
    # Its worker is presumed dead (no heartbeat since `before`): recovery releases it, a new attempt claims it.
    assert lifecycle.release_stale(db.session, import_id, before=utcnow() + timedelta(seconds=1))
    second = lifecycle.claim(conn, import_id)
    assert (first.attempt, second.attempt) == (1, 2)
    with pytest.raises(Fenced):
        lifecycle.fence(conn, first, processed=99)
    with pytest.raises(Fenced):
        lifecycle.finish(conn, first, lifecycle.COMPLETED)
    lifecycle.fail(conn, first, "the zombie's error")
    db.session.commit()
    imp = row(import_id)
    assert (imp["status"], imp["attempt"], imp["processed"], imp["error_message"]) == ("running", 2, 5, None)

    conn = db.session.connection()  # the commit closed the session's connection
    assert lifecycle.fence(conn, second, processed=7) is Signal.CONTINUE
    assert lifecycle.cancel(db.session, import_id)
    assert lifecycle.fence(conn, second) is Signal.CANCEL
    lifecycle.finish(conn, second, lifecycle.CANCELLED)
    db.session.commit()
    imp = row(import_id)
    assert (imp["status"], imp["processed"]) == ("cancelled", 7) and imp["finished_at"] is not None
    with pytest.raises(Fenced):
        lifecycle.fence(db.session.connection(), second)  # finished: no attempt owns it any more


def test_finish_completed_makes_the_total_the_rows_processed(app, workspaces):
    import_id = make_import(workspaces[0], status="queued", total_rows=12, processed=0, finished_at=None)
    conn = db.session.connection()
    claimed = lifecycle.claim(conn, import_id)
    lifecycle.fence(conn, claimed, processed=LeadImport.__table__.c.processed + 10)
    lifecycle.finish(conn, claimed, lifecycle.COMPLETED)
    db.session.commit()
    imp = row(import_id)
    assert (imp["status"], imp["total_rows"], imp["processed"]) == ("completed", 10, 10)


def test_fail_by_the_owning_attempt_records_the_message(app, workspaces):
    import_id = make_import(workspaces[0], status="queued", finished_at=None)
    conn = db.session.connection()
    claimed = lifecycle.claim(conn, import_id)
    lifecycle.fail(conn, claimed, "The uploaded file is no longer on the server.")
    db.session.commit()
    imp = row(import_id)
    assert (imp["status"], imp["error_message"]) == ("failed", "The uploaded file is no longer on the server.")
    assert imp["finished_at"] is not None


def test_an_import_is_marked_undone_once(app, workspaces):
    import_id = make_import(workspaces[0])
    assert lifecycle.mark_undone(db.session, import_id)
    db.session.commit()
    undone_at = row(import_id)["undone_at"]
    assert not lifecycle.mark_undone(db.session, import_id)
    db.session.commit()
    assert row(import_id)["undone_at"] == undone_at is not None


def test_a_worker_is_alive_while_one_listens_on_the_queue_and_none_is_when_redis_is_down(app, app_config):
    with app.app_context():
        assert not lifecycle.worker_alive()
        worker = Worker([import_queue()], connection=redis_connection())
        worker.register_birth()
        try:
            assert lifecycle.worker_alive()
        finally:
            worker.register_death()
        assert not lifecycle.worker_alive()
    unreachable = create_app({**app_config, "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"})
    with unreachable.app_context():
        assert not lifecycle.worker_alive()
