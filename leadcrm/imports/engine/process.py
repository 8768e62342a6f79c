"""Step 6: process_import(import_id): claim the import, count its rows, then stream the file in batches
(parsed in a child process, prefetch.py), written with their counters and checkpoint in transactions
fenced by the attempt number.

The database row is the import's state, so the job can be run again at any time (a re-queued job,
a second worker, the CLI): it resumes after the last committed batch and never writes a row twice.
"""
import gc
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import Connection, func, or_, select, update
from sqlalchemy.exc import OperationalError

from leadcrm.extensions import db
from leadcrm.imports.engine.batches import batches
from leadcrm.imports.engine.prefetch import ParserStopped, Prefetch
from leadcrm.imports.engine.reader import count_records, records, scan
from leadcrm.imports.engine.writer import BatchWriter
from leadcrm.imports.jobs.control import is_stale
from leadcrm.imports.rows import compile_row_tuples
from leadcrm.imports.upload.storage import path_of
from leadcrm.models import LeadImport, utcnow

_DEADLOCK_RETRIES = 3
_SQLITE_BATCHES_PER_COMMIT = 4
_SQLITE_CACHE_KIB = 32 * 1024
_LEAD_IMPORT = LeadImport.__table__


class Fenced(Exception):
    """A newer attempt owns the import (this one was presumed dead): stop without writing."""


def process_import(import_id: int) -> dict:
    """Import the rows of one queued (or abandoned) import; a no-op if another attempt owns it."""
    config = current_app.config
    with db.engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            # The unique email index of a big workspace outgrows the default 2 MB page cache; each
            # insert would then read its index pages back from the operating system. Random email
            # keys dirty index pages all over the file: checkpointing the WAL less often copies
            # each of them to the database fewer times (measured: a third less system time).
            conn.exec_driver_sql(f"PRAGMA cache_size = -{_SQLITE_CACHE_KIB}")
            conn.exec_driver_sql("PRAGMA wal_autocheckpoint = 16384")
        job = _claim(conn, import_id, config["IMPORT_STALE_SECONDS"])
        if job is None:
            return {"import_id": import_id, "status": "not claimed"}
        # An import makes millions of short-lived tuples: with the default threshold (700 allocations)
        # the cycle collector would walk the batches in flight thousands of times (a quarter of the time).
        thresholds = gc.get_threshold()
        gc.set_threshold(100_000, 50, 100)
        try:
            status = _run(conn, job, config["IMPORT_BATCH_SIZE"])
        except Fenced:
            conn.rollback()
            status = "taken over"
        except SystemExit:
            # The worker is shutting down: left running, its heartbeat goes stale and recovery resumes it.
            conn.rollback()
            raise
        except BaseException as error:
            conn.rollback()
            try:
                _fail(conn, job, error)
            except Exception:  # the database itself is gone: recovery fails or resumes it later
                current_app.logger.exception("import %s: could not record the failure", import_id)
            raise
        finally:
            gc.set_threshold(*thresholds)
        figures = conn.execute(select(LeadImport.total_rows, LeadImport.processed, LeadImport.successful,
                                      LeadImport.skipped, LeadImport.errors).filter_by(id=import_id)).one()
        conn.commit()
    return {"import_id": import_id, "status": status, **figures._asdict()}


def _claim(conn: Connection, import_id: int, stale_seconds: int):
    """Compare-and-set queued (or running with a stale heartbeat) → running, attempt + 1."""
    now = utcnow()
    attempt = conn.execute(
        update(_LEAD_IMPORT)
        .where(_LEAD_IMPORT.c.id == import_id, or_(
            _LEAD_IMPORT.c.status == "queued", is_stale(now - timedelta(seconds=stale_seconds))))
        .values(status="running", attempt=_LEAD_IMPORT.c.attempt + 1, heartbeat_at=now,
                started_at=func.coalesce(_LEAD_IMPORT.c.started_at, now), error_message=None)
        .returning(_LEAD_IMPORT.c.attempt)
    ).scalar()
    job = None
    if attempt is not None:
        job = conn.execute(select(_LEAD_IMPORT).where(_LEAD_IMPORT.c.id == import_id)).one()
    conn.commit()
    return job


def _fence(conn: Connection, job, **values):
    """UPDATE the import only if this attempt still owns it; returns cancel_requested. Raises Fenced."""
    row = conn.execute(
        update(_LEAD_IMPORT)
        .where(_LEAD_IMPORT.c.id == job.id, _LEAD_IMPORT.c.attempt == job.attempt,
               _LEAD_IMPORT.c.status == "running")
        .values(heartbeat_at=utcnow(), **values)
        .returning(_LEAD_IMPORT.c.cancel_requested)
    ).first()
    if row is None:
        raise Fenced
    return row.cancel_requested


def _run(conn: Connection, job, batch_size: int) -> str:
    path = path_of(job.stored_name)
    header = list(job.header)
    apply = compile_row_tuples(header, job.mapping or {}, job.defaults)
    if _fence(conn, job):
        return _finish(conn, job, "cancelled")
    conn.commit()  # no write lock held while counting (SQLite has one for the whole database)

    def heartbeat() -> None:
        _fence(conn, job)
        conn.commit()

    traits = scan(path, job.encoding)
    total = count_records(path, job.encoding, job.delimiter, heartbeat)
    _fence(conn, job, total_rows=total)
    conn.commit()

    writer = BatchWriter(conn, job.workspace_id, job.id)

    def parsed():
        rows = records(path, job.encoding, job.delimiter, len(header), traits, skip=job.checkpoint_rows)
        return batches(rows, apply, batch_size, traits.undecodable or traits.nul)

    batches_per_commit = _SQLITE_BATCHES_PER_COMMIT if conn.dialect.name == "sqlite" else 1
    uncommitted = _Uncommitted()
    with Prefetch(parsed) as pending:
        for batch in pending:
            if _write_batch(conn, job, writer, batch, uncommitted, batches_per_commit):
                return _finish(conn, job, "cancelled")
            del batch  # before the next one is received: one batch at a time in this process
    if uncommitted.batches and _commit(conn, job, uncommitted):
        return _finish(conn, job, "cancelled")
    return _finish(conn, job, "completed")


@dataclass(slots=True)
class _Uncommitted:
    """What the open transaction has written: the counters and checkpoint its commit adds."""
    batches: int = 0
    records: int = 0
    successful: int = 0
    skipped: int = 0
    errors: int = 0

    def add(self, records: int, outcome) -> None:
        self.batches += 1
        self.records += records
        self.successful += outcome.successful
        self.skipped += outcome.skipped
        self.errors += outcome.errors

    def clear(self) -> None:
        self.batches = self.records = self.successful = self.skipped = self.errors = 0


def _write_batch(conn: Connection, job, writer: BatchWriter, batch, uncommitted: _Uncommitted,
                 batches_per_commit: int) -> bool:
    """Write the batch in the open transaction, and commit once it holds batches_per_commit batches.
    True if cancel was asked.

    On PostgreSQL each batch is its own transaction, which a deadlock (see below) may make it write
    again, and postgres_writer's staging tables hold one batch per transaction. On SQLite one transaction spans several batches: a commit rewrites every index page the
    transaction touched, and random email keys touch most of the unique index, so fewer, larger
    commits cost far less (measured on 1M rows: 5 s in commits at one batch a commit, 2.5 s at four),
    while the batches in memory stay small.
    """
    # The bulk writers use the driver's connection: its errors reach here unwrapped by SQLAlchemy.
    retryable = (OperationalError, conn.dialect.loaded_dbapi.OperationalError)
    alone = not uncommitted.batches  # the transaction holds only this batch, so it can be written again
    for retry in range(_DEADLOCK_RETRIES + 1):
        try:
            # Begun explicitly: the bulk writers may use the driver's connection before any statement
            # of SQLAlchemy's, and a rollback must then still reach the database.
            if not conn.in_transaction():
                conn.begin()
            outcome = writer.write(batch, utcnow())
            uncommitted.add(batch.records, outcome)
            return uncommitted.batches >= batches_per_commit and _commit(conn, job, uncommitted)
        except retryable as error:
            conn.rollback()
            writer.forget()
            # Two imports into one workspace wait on each other's new keys; PostgreSQL may still pick
            # one as a deadlock victim (e.g. with a third writer): the batch is simply written again.
            sqlstate = getattr(getattr(error, "orig", error), "sqlstate", None)
            if retry == _DEADLOCK_RETRIES or sqlstate not in ("40P01", "40001") or not alone:
                raise
            uncommitted.clear()
    return False


def _commit(conn: Connection, job, uncommitted: _Uncommitted) -> bool:
    """Commit the open transaction with its counters and checkpoint. True if cancel was asked.

    The fenced UPDATE of the import comes last: on PostgreSQL, updating the import row first would
    make each new lead's foreign-key check on it far slower (a row this transaction already changed).
    A zombie attempt still cannot commit anything: its UPDATE finds a newer attempt and it rolls back.
    """
    cancel = _fence(conn, job,
                    processed=_LEAD_IMPORT.c.processed + uncommitted.records,
                    successful=_LEAD_IMPORT.c.successful + uncommitted.successful,
                    skipped=_LEAD_IMPORT.c.skipped + uncommitted.skipped,
                    errors=_LEAD_IMPORT.c.errors + uncommitted.errors,
                    checkpoint_rows=_LEAD_IMPORT.c.checkpoint_rows + uncommitted.records)
    conn.commit()
    uncommitted.clear()
    return cancel


def _finish(conn: Connection, job, status: str) -> str:
    values = {"status": status, "finished_at": utcnow()}
    if status == "completed":
        values["total_rows"] = _LEAD_IMPORT.c.processed  # equal by construction; exact even if the file changed
    _fence(conn, job, **values)
    conn.commit()
    return status


def _fail(conn: Connection, job, error: BaseException) -> None:
    """Mark this attempt's import failed with a message a person can act on (unless it was taken over)."""
    conn.execute(
        update(_LEAD_IMPORT)
        .where(_LEAD_IMPORT.c.id == job.id, _LEAD_IMPORT.c.attempt == job.attempt,
               _LEAD_IMPORT.c.status == "running")
        .values(status="failed", finished_at=utcnow(), error_message=failure_message(error))
    )
    conn.commit()


def failure_message(error: BaseException) -> str:
    if isinstance(error, FileNotFoundError):
        return ("The uploaded file is no longer on the server, so the import cannot continue. "
                "Upload the file again; the rows imported so far are kept.")
    if isinstance(error, OperationalError):
        return (f"The database refused the import ({str(error.orig).splitlines()[0]}). Check that the database "
                "is reachable and has space, then upload the file again; the rows imported so far are kept.")
    if isinstance(error, ParserStopped):
        return (f"{error} The machine may be short of memory. The rows imported so far are kept; "
                "an administrator can resume the import with Re-queue on the System Health page.")
    if isinstance(error, KeyboardInterrupt):
        return "The import was interrupted (Ctrl-C). The rows imported so far are kept."
    return (f"The import stopped on an unexpected error ({type(error).__name__}: {error}). "
            "The rows imported so far are kept; report this message to your administrator.")
