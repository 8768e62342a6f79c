"""Step 6: process_import(import_id), the worker's job: claim the import, count its rows, then stream the
file in batches (parsed in a child process, prefetch.py), written in transactions that carry their
counters and checkpoint (transactions.py).

The database row is the import's state, so the job can be run again at any time (a re-queued job,
a second worker, the CLI): it resumes after the last committed batch and never writes a row twice.
"""
import gc

from flask import current_app
from sqlalchemy import Connection, delete, select

from leadcrm.extensions import db
from leadcrm.imports import lifecycle
from leadcrm.imports.engine import check_rows
from leadcrm.imports.engine.batches import batch_of, groups
from leadcrm.imports.engine.prefetch import Prefetch
from leadcrm.imports.engine.reader import count_records, records, scan
from leadcrm.imports.engine.transactions import Transactions
from leadcrm.imports.engine.writer import bulk_writer
from leadcrm.imports.failures import failure_message
from leadcrm.imports.lifecycle import Claimed, Fenced, Signal
from leadcrm.imports.rows import compile_given_fields, compile_row_rules
from leadcrm.imports.upload import retention, storage
from leadcrm.imports.workbook import reader as workbook_reader
from leadcrm.models import ImportSeenEmail, LeadImport

# An import makes millions of short-lived tuples: with the default threshold (700 allocations) the
# cycle collector would walk the batches in flight thousands of times (a quarter of the time).
_GC_THRESHOLDS = (100_000, 50, 100)


def process_import(import_id: int, fork: bool = True, limit: int | None = None, job_id: str | None = None) -> dict:
    """Import the rows of one queued (or abandoned) import; a no-op if another attempt owns it.

    fork: parse in a child process; a web request checking a small file parses in its own thread instead
    (forking a threaded web server is unsafe, and a few hundred rows gain nothing from a second core).
    limit, job_id: the queue's job (jobs/run.py) claims within IMPORTS_PER_WORKSPACE; the command line and
    a check in the request run their import at once.
    """
    with db.engine.connect() as conn:
        claimed = lifecycle.claim(conn, import_id, limit, job_id)
        conn.commit()
        if claimed is None:
            return {"import_id": import_id, "status": "not claimed"}
        if claimed.check_of_id is None:  # a check writes too little to need it, and has the memory of its email keys to hold
            bulk_writer(conn).tune(conn)
        thresholds = gc.get_threshold()
        gc.set_threshold(*_GC_THRESHOLDS)
        try:
            status = _run(conn, claimed, current_app.config["IMPORT_BATCH_SIZE"], fork)
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
                lifecycle.fail(conn, claimed, failure_message(error))
                conn.commit()
            except Exception:  # the database itself is gone: recovery fails or resumes it later
                current_app.logger.exception("import %s: could not record the failure", import_id)
            raise
        finally:
            gc.set_threshold(*thresholds)
        if status in (lifecycle.COMPLETED, lifecycle.CANCELLED):
            retention.release(claimed.stored_name)
        figures = conn.execute(select(LeadImport.total_rows, LeadImport.processed, LeadImport.successful,
                                      LeadImport.skipped, LeadImport.errors).filter_by(id=import_id)).one()
        conn.commit()
    return {"import_id": import_id, "status": status, **figures._asdict()}


def _run(conn: Connection, claimed: Claimed, batch_size: int, fork: bool) -> str:
    # Each attempt reads a copy on this machine (the stored file itself when it is local), removed after.
    with storage.local_file(claimed.stored_name) as path:
        return _run_file(conn, claimed, path, batch_size, fork)


def _run_file(conn: Connection, claimed: Claimed, path, batch_size: int, fork: bool) -> str:
    header = list(claimed.header)
    apply = compile_row_rules(header, claimed.mapping or {}, claimed.defaults, claimed.rules)
    if _fenced_commit(conn, claimed) is Signal.CANCEL:
        return _finish(conn, claimed, lifecycle.CANCELLED)

    total, seen = None, None
    if claimed.sheet is None:
        traits = scan(path, claimed.encoding)
        total = count_records(path, claimed.encoding, claimed.delimiter, lambda: _fenced_commit(conn, claimed))
        _fenced_commit(conn, claimed, total_rows=total)
        clean_values = traits.undecodable or traits.nul

        def csv_rows(skip: int):
            return records(path, claimed.encoding, claimed.delimiter, len(header), traits, skip=skip)
    else:
        clean_values = False

    given = compile_given_fields(header, claimed.mapping or {}) if claimed.existing_leads == "update" else None
    # A check in the request (a small file) is decided batch by batch instead: it must not read the keys
    # of every lead of the workspace first.
    if claimed.check_of_id is not None and claimed.existing_leads != "update" and fork:
        seen = check_rows.workspace_keys(conn, claimed.workspace_id, total or 0)

        def decided(rows):  # from the file's first row: the emails of the rows before the checkpoint are met again
            return check_rows.checked_batches(rows(0), apply, batch_size, clean_values, seen, claimed.checkpoint_rows)
    else:
        def decided(rows):
            # The parent, when it waits for the child (a workbook's reading is the slower side), gets the
            # next records as read and makes their batch itself (below): both cores keep busy.
            for group in groups(rows(claimed.checkpoint_rows), batch_size):
                yield group if prefetch.waiting() else batch_of(group, apply, clean_values, given)

    def parsed():
        if total is not None:
            yield from decided(csv_rows)
            return
        # A workbook is counted in the child too (its first item is the total), by the same open workbook
        # that streams the rows next, so its shared strings are parsed once.
        with workbook_reader.Workbook(path) as book:
            yield book.count_records(claimed.sheet, len(header))
            yield from decided(lambda skip: book.records(claimed.sheet, header, skip))

    transactions = Transactions(conn, claimed, decided=seen is not None)
    prefetch = Prefetch(parsed, fork)
    with prefetch:
        if seen is not None:
            seen.release()  # the child has its own copy
        pending = iter(prefetch)
        if total is None:
            prefetch.wait(lambda: _fenced_commit(conn, claimed))
            _fenced_commit(conn, claimed, total_rows=next(pending))
        for batch in pending:
            if type(batch) is list:  # records the child handed over: their batch is made here
                # Committed first, so that no write lock is held while the row rules run (on SQLite a
                # web request that writes, Cancel or an upload, would wait for them).
                if transactions.commit() is Signal.CANCEL:
                    return _finish(conn, claimed, lifecycle.CANCELLED)
                batch = batch_of(batch, apply, clean_values, given)
            if transactions.write(batch) is Signal.CANCEL:
                return _finish(conn, claimed, lifecycle.CANCELLED)
            del batch  # before the next one is received: one batch at a time in this process
    if transactions.commit() is Signal.CANCEL:
        return _finish(conn, claimed, lifecycle.CANCELLED)
    return _finish(conn, claimed, lifecycle.COMPLETED)


def _fenced_commit(conn: Connection, claimed: Claimed, **values) -> Signal:
    """A heartbeat (with these columns) in a transaction of its own, so that no write lock is held
    while the file is counted (SQLite has one for the whole database)."""
    signal = lifecycle.fence(conn, claimed, **values)
    conn.commit()
    return signal


def _finish(conn: Connection, claimed: Claimed, status: str) -> str:
    # The emails its rows decided only matter while it runs: later rows of the file are checked against them.
    conn.execute(delete(ImportSeenEmail).where(ImportSeenEmail.import_id == claimed.id))
    lifecycle.finish(conn, claimed, status)
    conn.commit()
    return status
