"""Batches into transactions: each commit carries its rows with the counters and the checkpoint, fenced
by the attempt number, so a crash loses at most the uncommitted rows and never counts a row twice."""
from dataclasses import dataclass

from sqlalchemy import Connection
from sqlalchemy.exc import OperationalError

from leadcrm.imports import lifecycle
from leadcrm.imports.engine.batches import Batch
from leadcrm.imports.engine.check_rows import CheckedBatch
from leadcrm.imports.engine.check_writer import CheckWriter, DecidedCheckWriter
from leadcrm.imports.engine.writer import BatchWriter, Outcome
from leadcrm.imports.lifecycle import Claimed, Signal
from leadcrm.models import LeadImport, utcnow

_DEADLOCK_RETRIES = 3
_COUNTERS = LeadImport.__table__.c


@dataclass(slots=True)
class _Uncommitted:
    """What the open transaction has written: the counters and checkpoint its commit adds."""

    batches: int = 0
    records: int = 0
    successful: int = 0
    updated: int = 0
    skipped: int = 0
    errors: int = 0

    def add(self, records: int, outcome: Outcome) -> None:
        self.batches += 1
        self.records += records
        self.successful += outcome.successful
        self.updated += outcome.updated
        self.skipped += outcome.skipped
        self.errors += outcome.errors

    def clear(self) -> None:
        self.batches = self.records = self.successful = self.updated = self.skipped = self.errors = 0


class Transactions:
    """Writes an import's batches (a check's: decides them), BATCHES_PER_COMMIT of its bulk writer to a
    transaction."""

    def __init__(self, conn: Connection, claimed: Claimed, decided: bool = False):
        """decided: a check whose rows the parser decided (check_rows.py), so only their issues are stored."""
        self.conn, self.claimed = conn, claimed
        if claimed.check_of_id is None:
            self.writer = BatchWriter(conn, claimed)
        else:
            self.writer = (DecidedCheckWriter if decided else CheckWriter)(conn, claimed)
        self.batches_per_commit = self.writer.bulk.BATCHES_PER_COMMIT
        self.uncommitted = _Uncommitted()

    def write(self, batch: Batch | CheckedBatch) -> Signal:
        """Write the batch in the open transaction, and commit once it holds batches_per_commit batches."""
        conn, uncommitted = self.conn, self.uncommitted
        # The bulk writers use the driver's connection: its errors reach here unwrapped by SQLAlchemy.
        retryable = (OperationalError, conn.dialect.loaded_dbapi.OperationalError)
        alone = not uncommitted.batches  # the transaction holds only this batch, so it can be written again
        retries = 0
        while True:
            try:
                # Begun explicitly: the bulk writers may use the driver's connection before any statement
                # of SQLAlchemy's, and a rollback must then still reach the database.
                if not conn.in_transaction():
                    conn.begin()
                uncommitted.add(batch.records, self.writer.write(batch, utcnow()))
                if uncommitted.batches >= self.batches_per_commit:
                    return self.commit()
                return Signal.CONTINUE
            except retryable as error:
                conn.rollback()
                self.writer.forget()
                # Two imports into one workspace wait on each other's new keys; PostgreSQL may still pick
                # one as a deadlock victim (e.g. with a third writer): the batch is simply written again.
                sqlstate = getattr(getattr(error, "orig", error), "sqlstate", None)
                if retries == _DEADLOCK_RETRIES or sqlstate not in ("40P01", "40001") or not alone:
                    raise
                retries += 1
                uncommitted.clear()

    def commit(self) -> Signal:
        """Commit the open transaction with its counters and checkpoint (a no-op when it holds nothing).

        The fenced UPDATE of the import comes last: on PostgreSQL, updating the import row first would
        make each new lead's foreign-key check on it far slower (a row this transaction already changed).
        A zombie attempt still cannot commit anything: its UPDATE finds a newer attempt and it rolls back.
        """
        uncommitted = self.uncommitted
        if not uncommitted.batches:
            return Signal.CONTINUE
        signal = lifecycle.fence(
            self.conn, self.claimed,
            processed=_COUNTERS.processed + uncommitted.records,
            successful=_COUNTERS.successful + uncommitted.successful,
            updated=_COUNTERS.updated + uncommitted.updated,
            skipped=_COUNTERS.skipped + uncommitted.skipped,
            errors=_COUNTERS.errors + uncommitted.errors,
            checkpoint_rows=_COUNTERS.checkpoint_rows + uncommitted.records,
        )
        self.conn.commit()
        uncommitted.clear()
        return signal
