"""Write one batch inside the caller's transaction: companies, tags, leads, tag links and row issues,
each with a few set-based statements; the unique indexes decide what already exists.

Companies and tags (a few hundred new names per batch) are created and their ids read back once,
then kept per import, so the bulk writers get ids, not keys to look up row by row. The writes go
through each engine's fastest bulk path, in sqlite_writer.py and postgres_writer.py.
"""
from dataclasses import dataclass

from sqlalchemy import Connection, Table

from leadcrm.imports.engine import postgres_writer, sqlite_writer
from leadcrm.imports.engine.batches import COMPANY_AT, LEAD_COLUMNS, LEAD_WIDTH, Batch, RowIssue
from leadcrm.imports.engine.bulk import BulkWriter
from leadcrm.models import Company, Tag

_EMAIL_AT, _KEY_AT = LEAD_COLUMNS.index("email"), LEAD_COLUMNS.index("email_key")
_KNOWN_LIMIT = 200_000  # names remembered per import with their ids (they repeat across batches)


def bulk_writer(conn: Connection) -> BulkWriter:
    """The bulk path of the connection's database engine."""
    return postgres_writer if conn.dialect.name == "postgresql" else sqlite_writer


@dataclass(slots=True)
class Outcome:
    successful: int
    skipped: int
    errors: int


class BatchWriter:
    """Writes the batches of one import on one connection."""

    def __init__(self, conn: Connection, workspace_id: int, import_id: int):
        self.conn, self.workspace_id, self.import_id = conn, workspace_id, import_id
        self.bulk = bulk_writer(conn)
        self.ids: dict[Table, dict[str, int]] = {Company.__table__: {}, Tag.__table__: {}}

    def forget(self) -> None:
        """After a rolled-back batch: names created in it no longer exist."""
        for ids in self.ids.values():
            ids.clear()

    def write(self, batch: Batch, now) -> Outcome:
        company_ids = self._ensure(Company.__table__, batch.companies)
        tag_ids = self._ensure(Tag.__table__, batch.tags)
        leads = batch.leads.copy()  # the batch stays as it is, to be written again after a deadlock
        leads[COMPANY_AT::LEAD_WIDTH] = map(company_ids.get, leads[COMPANY_AT::LEAD_WIDTH])  # None stays None
        inserted = self.bulk.insert_leads(self.conn, self.workspace_id, self.import_id, now, leads,
                                          (batch.first_line, batch.last_line), batch.links, tag_ids)
        issues = batch.issues + self._duplicates(batch, inserted)
        if issues:
            self.bulk.insert_issues(self.conn, self.import_id, issues)
        errors = sum(1 for issue in batch.issues if issue.kind == "error")
        return Outcome(len(inserted), batch.records - len(inserted) - errors, errors)

    def _ensure(self, table: Table, names: dict[str, str]) -> dict[str, int]:
        """Create the names missing in the workspace (sorted, so concurrent imports lock them in one order);
        the ids of the workspace's names by key, those of this batch included."""
        ids = self.ids[table]
        if len(ids) > _KNOWN_LIMIT:
            ids.clear()
        missing = sorted(key for key in names if key not in ids)
        if missing:
            ids.update(self.bulk.ensure_names(self.conn, table.name, self.workspace_id,
                                              [(key, names[key]) for key in missing]))
        return ids

    def _duplicates(self, batch: Batch, inserted: set[int]) -> list[RowIssue]:
        """Issues for rows the unique index refused, and for later rows of the batch with their email."""
        refused = [line for line in batch.keyed if line not in inserted]
        reasons = {}
        if refused:
            leads = batch.leads
            at = dict(zip(leads[::LEAD_WIDTH], range(0, len(leads), LEAD_WIDTH)))  # line → its lead's start
            emails = {line: (leads[at[line] + _EMAIL_AT], leads[at[line] + _KEY_AT]) for line in refused}
            owners = {owner.email_key: owner for owner in self.bulk.owners(
                self.conn, self.workspace_id, [key for _, key in emails.values()])}
            for line in refused:
                email, key = emails[line]
                owner = owners.get(key)
                if owner is not None and owner.import_id == self.import_id and owner.import_line is not None:
                    reasons[line] = f"Email {email!r} was already imported from line {owner.import_line} of this file."
                else:
                    reasons[line] = (f"A lead with email {email!r} already exists in this workspace "
                                     "(existing leads are not updated).")
        issues = [RowIssue(line, "duplicate", reasons[line], batch.keyed[line]) for line in refused]
        for repeat in batch.repeats:
            reason = reasons.get(repeat.earlier) or (
                f"Email {repeat.email!r} was already imported from line {repeat.earlier} of this file.")
            issues.append(RowIssue(repeat.line, "duplicate", reason, repeat.values))
        return issues
