"""The import's states and every transition between them: the only writer of LeadImport.status.

        create          start                claim
    ──────────▶ uploaded ──────▶ queued ───────────▶ running ──▶ completed
                   │             │  ▲ ▲                │ │ │
                   │     cancel  │  │ └─ release_stale ┘ │ └──▶ cancelled  (cancel asked, seen at a batch)
                   │             ▼  │                    ▼
                   │      cancelled └────── requeue ── failed  (fail; give_up after too many attempts)
                   │ discard ──▶ (deleted, with its checks: an upload nobody started)
                   │ start_check
                   └──────────▶ a check of the whole file: an import of its own that is born queued,
                                goes the same way from there, and writes no lead

A running import belongs to one attempt (its number is the fencing token): every write of the engine
goes through fence(), which matches the attempt, so a worker presumed dead can never commit again.
Undo is not a state: it stamps undone_at on a finished import.

Each transition is one UPDATE … WHERE status = … (compare-and-set) on the caller's session or
connection, and the caller commits: the engine's transitions share their transaction with the rows
they stand for (fence with the batch it checkpoints).
"""
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from enum import Enum

from flask import current_app
from redis import RedisError
from rq import Worker
from sqlalchemy import delete, exists, func, or_, select, update

from leadcrm.extensions import import_queue
from leadcrm.models import ACTIVE_IMPORT_STATUSES, IMPORT_STATUSES, LeadImport, Workspace, utcnow

UPLOADED, QUEUED, RUNNING, COMPLETED, FAILED, CANCELLED = IMPORT_STATUSES
_TABLE = LeadImport.__table__


class Fenced(Exception):
    """A newer attempt owns the import (this one was presumed dead): stop without writing."""


class Signal(Enum):
    """What the engine should do after a fenced write."""

    CONTINUE = "continue"
    CANCEL = "cancel"  # a person asked to cancel: stop at this batch


@dataclass(frozen=True, slots=True)
class Claimed:
    """The import as the claiming attempt found it: what the engine needs, and its fencing token."""

    id: int
    attempt: int
    workspace_id: int
    stored_name: str
    encoding: str
    delimiter: str
    header: list
    sheet: str | None
    mapping: dict
    defaults: dict
    rules: dict | None
    existing_leads: str
    blank_cells: str
    tag_mode: str
    check_of_id: int | None
    checkpoint_rows: int


def stale_before(now: datetime | None = None) -> datetime:
    """Heartbeats older than this mean the running import's worker is gone (IMPORT_STALE_SECONDS)."""
    return (now or utcnow()) - timedelta(seconds=current_app.config["IMPORT_STALE_SECONDS"])


def is_stale(before: datetime):
    """SQL condition: running, and its worker has not beaten since `before`."""
    return (LeadImport.status == RUNNING) & or_(LeadImport.heartbeat_at.is_(None), LeadImport.heartbeat_at < before)


def heartbeat_stale(imp: LeadImport, now: datetime | None = None) -> bool:
    """is_stale for an import row already read: running, and its worker stopped beating (killed, machine lost)."""
    before = stale_before(now)
    return imp.status == RUNNING and (imp.heartbeat_at is None or imp.heartbeat_at < before)


def worker_alive() -> bool:
    """Some worker listens on the import queue; an unreachable Redis means none will run anything."""
    try:
        return Worker.count(queue=import_queue()) > 0
    except RedisError:
        return False


def create(session, **columns) -> LeadImport:
    """A new import of a checked upload, waiting for its mapping."""
    imp = LeadImport(status=UPLOADED, **columns)
    session.add(imp)
    session.flush()
    return imp


def start(session, import_id: int, mapping: dict, defaults: dict, choices: dict) -> bool:
    """uploaded → queued with the mapping and choices frozen; False if it was started already (double
    click, reload). choices: existing_leads, blank_cells, tag_mode, rules."""
    return _cas(session, import_id, LeadImport.status == UPLOADED,
                status=QUEUED, mapping=mapping, defaults=defaults, queued_at=utcnow(), **choices)


def save_draft(session, import_id: int, mapping: dict, defaults: dict, choices: dict) -> bool:
    """Keep the mapping page's choices on a waiting import, so the page shows them again; False once started."""
    return _cas(session, import_id, LeadImport.status == UPLOADED, mapping=mapping, defaults=defaults, **choices)


def start_check(session, import_id: int, mapping: dict, defaults: dict, choices: dict) -> LeadImport | None:
    """A queued check of a waiting (uploaded) import's whole file with this mapping; None if it has started."""
    imp = session.get(LeadImport, import_id, with_for_update=True)
    if imp is None or imp.status != UPLOADED:
        return None
    check = LeadImport(
        status=QUEUED, queued_at=utcnow(), check_of_id=imp.id, workspace_id=imp.workspace_id,
        created_by_id=imp.created_by_id, origin=imp.origin, original_filename=imp.original_filename,
        stored_name=imp.stored_name, size_bytes=imp.size_bytes, encoding=imp.encoding, delimiter=imp.delimiter,
        header=imp.header, sheet=imp.sheet, mapping=mapping, defaults=defaults, **choices,
    )
    session.add(check)
    session.flush()
    return check


def discard(session, import_id: int) -> str | None:
    """Delete an upload nobody started (uploaded, with no check of its file under way), its checks with it;
    the stored file's name, for the caller to remove after commit; None if it has started or is being checked."""
    checks = _TABLE.alias("checks")
    checking = exists().where(checks.c.check_of_id == import_id, checks.c.status.in_(ACTIVE_IMPORT_STATUSES))
    return session.execute(
        delete(_TABLE).where(_TABLE.c.id == import_id, _TABLE.c.status == UPLOADED, ~checking)
        .returning(_TABLE.c.stored_name)
    ).scalar()


def claim(conn, import_id: int, limit: int | None = None, job_id: str | None = None) -> Claimed | None:
    """queued (or running with a stale heartbeat) → running, attempt + 1; None if another attempt owns it,
    or if `limit` imports of its workspace are running already (IMPORTS_PER_WORKSPACE: it waits).
    job_id: the queue's job that runs it (System Health shows it)."""
    now = utcnow()
    condition = [_TABLE.c.id == import_id, or_(_TABLE.c.status == QUEUED, is_stale(stale_before(now)))]
    if limit is not None:
        condition.append(running_in_workspace(import_id) < limit)
        if conn.dialect.name == "postgresql":
            # Two claims in one workspace at once would each count the other's import as not running yet:
            # they take turns on the workspace's row, and the second counts after the first committed.
            workspace_of = select(_TABLE.c.workspace_id).where(_TABLE.c.id == import_id).scalar_subquery()
            conn.execute(select(Workspace.id).where(Workspace.id == workspace_of).with_for_update())
        # SQLite: the UPDATE below holds the database's one write lock from its count to its write.
    values = {"rq_job_id": job_id} if job_id else {}
    row = conn.execute(
        update(_TABLE)
        .where(*condition)
        .values(status=RUNNING, attempt=_TABLE.c.attempt + 1, heartbeat_at=now,
                started_at=func.coalesce(_TABLE.c.started_at, now), error_message=None, **values)
        .returning(*(_TABLE.c[f.name] for f in fields(Claimed)))
    ).first()
    return None if row is None else Claimed(**row._asdict())


def running_in_workspace(import_id: int):
    """SQL: how many other imports of this import's workspace are running (a stale one too, until recovery
    releases it: its worker may only be slow)."""
    other = _TABLE.alias("other")
    return (select(func.count()).select_from(other)
            .where(other.c.workspace_id == _TABLE.c.workspace_id, other.c.status == RUNNING, other.c.id != import_id)
            .scalar_subquery())


def fence(conn, claimed: Claimed, **values) -> Signal:
    """Heartbeat (and the given columns) only while this attempt still owns the import; raises Fenced."""
    row = conn.execute(
        update(_TABLE)
        .where(_TABLE.c.id == claimed.id, _TABLE.c.attempt == claimed.attempt, _TABLE.c.status == RUNNING)
        .values(heartbeat_at=utcnow(), **values)
        .returning(_TABLE.c.cancel_requested)
    ).first()
    if row is None:
        raise Fenced
    return Signal.CANCEL if row.cancel_requested else Signal.CONTINUE


def finish(conn, claimed: Claimed, status: str) -> None:
    """running → completed or cancelled, by the attempt that owns it."""
    assert status in (COMPLETED, CANCELLED)
    values = {"status": status, "finished_at": utcnow()}
    if status == COMPLETED:
        values["total_rows"] = _TABLE.c.processed  # equal by construction; exact even if the file changed
    fence(conn, claimed, **values)


def fail(conn, claimed: Claimed, message: str) -> None:
    """running → failed with a message a person can act on, unless a newer attempt took it over."""
    conn.execute(
        update(_TABLE)
        .where(_TABLE.c.id == claimed.id, _TABLE.c.attempt == claimed.attempt, _TABLE.c.status == RUNNING)
        .values(status=FAILED, finished_at=utcnow(), error_message=message)
    )


def cancel(session, import_id: int) -> bool:
    """Ask a queued or running import to stop; False if it has finished."""
    # Still queued means no worker has claimed it: nothing to wait for, so it ends here.
    cancelled = _cas(session, import_id, LeadImport.status == QUEUED,
                     status=CANCELLED, cancel_requested=True, finished_at=utcnow())
    # A running import is stopped by its worker at the next batch, which sets the final status.
    return cancelled or _cas(session, import_id, LeadImport.status == RUNNING, cancel_requested=True)


def release_stale(session, import_id: int, before: datetime) -> bool:
    """running with a heartbeat older than `before` → queued, so that a new attempt may claim it."""
    return _cas(session, import_id, is_stale(before), status=QUEUED, queued_at=utcnow())


def requeue_failed(session, import_id: int) -> bool:
    """failed → queued: it resumes from its checkpoint."""
    return _cas(session, import_id, LeadImport.status == FAILED,
                status=QUEUED, queued_at=utcnow(), finished_at=None, error_message=None)


def give_up(session, import_id: int, before: datetime, message: str) -> bool:
    """running with a stale heartbeat → failed: its attempts keep dying."""
    return _cas(session, import_id, is_stale(before), status=FAILED, finished_at=utcnow(), error_message=message)


def mark_undone(session, import_id: int) -> bool:
    """Stamp a finished import as undone, once."""
    return _cas(session, import_id, LeadImport.status.in_((COMPLETED, FAILED, CANCELLED)) & LeadImport.undone_at.is_(None),
                undone_at=utcnow())


def status_of(session, import_id: int) -> str | None:
    return session.scalar(select(LeadImport.status).filter_by(id=import_id))


def _cas(session, import_id: int, condition, **values) -> bool:
    return bool(session.execute(update(LeadImport).where(LeadImport.id == import_id, condition).values(**values)).rowcount)

