"""A check of the whole file: each batch decided as the import would decide it, without writing a lead,
company, tag or link. Its own results are kept under the check's id: the row issues, and in update
mode the changes an update would make (lead_change) and the emails its rows have decided
(import_seen_email), which stand in for the leads the import would have created. A check that skips
existing leads has its rows decided in the parsing process (check_rows.py) and only stores their issues.
"""
from sqlalchemy import Connection

from leadcrm.imports.engine.batches import LEAD_WIDTH, Batch
from leadcrm.imports.engine.check_rows import CheckedBatch
from leadcrm.imports.engine.decisions import decide, emails_of, lead_starts
from leadcrm.imports.engine.writer import Matches, Outcome, bulk_writer
from leadcrm.imports.lifecycle import Claimed


def _errors(issues) -> int:
    return sum(1 for issue in issues if issue.kind == "error")


class DecidedCheckWriter:
    """Stores the issues of the batches of one check that skips existing leads."""

    def __init__(self, conn: Connection, claimed: Claimed):
        self.conn, self.import_id = conn, claimed.id
        self.bulk = bulk_writer(conn)

    def forget(self) -> None:
        """Nothing is kept between batches."""

    def write(self, batch: CheckedBatch, now) -> Outcome:
        if batch.issues:
            self.bulk.insert_issues(self.conn, self.import_id, batch.issues)
        errors = _errors(batch.issues)
        return Outcome(batch.new, 0, batch.records - batch.new - errors, errors)


class CheckWriter:
    """Decides the batches of one check that updates existing leads on one connection."""

    def __init__(self, conn: Connection, claimed: Claimed):
        self.conn, self.workspace_id, self.import_id = conn, claimed.workspace_id, claimed.id
        self.bulk = bulk_writer(conn)
        self.matches = Matches(conn, self.bulk, claimed) if claimed.existing_leads == "update" else None

    def forget(self) -> None:
        """Nothing is kept between batches."""

    def write(self, batch: Batch, now) -> Outcome:
        starts = lead_starts(batch)
        emails = emails_of(batch, list(batch.keyed), starts)
        keys = [key for _, key in emails.values()]
        owners = {owner.email_key: owner for owner in self.bulk.owners(self.conn, self.workspace_id, keys)}
        seen = self.bulk.seen(self.conn, self.import_id, keys)
        # What the import would insert: an email no lead holds and no earlier row of the file has.
        new = {line: key for line, (_, key) in emails.items() if key not in owners and key not in seen}
        if new:
            self.bulk.insert_seen(self.conn, self.import_id, [(key, line) for line, key in new.items()])
        decided = {line: email for line, email in emails.items() if line not in new}
        decisions = decide(batch, decided, owners, seen, self.import_id, self.matches is not None)
        updates = []
        if decisions.matches:
            updates, issues = self.matches.plan(batch, decisions.matches, starts, emails, lock=False)
            self.matches.record(updates)
            decisions.issues += issues
        issues = batch.issues + decisions.issues
        if issues:
            self.bulk.insert_issues(self.conn, self.import_id, issues)
        errors = _errors(batch.issues)
        successful = len(batch.leads) // LEAD_WIDTH - len(decided) + len(updates)
        return Outcome(successful, len(updates), batch.records - successful - errors, errors)
