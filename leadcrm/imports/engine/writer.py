"""Write one batch inside the caller's transaction: companies, tags, leads, tag links and row issues,
each with a few set-based statements; the unique indexes decide what already exists.

Companies and tags (a few hundred new names per batch) are created and their ids read back once,
then kept per import, so the bulk writers get ids, not keys to look up row by row. The writes go
through each engine's fastest bulk path, in sqlite_writer.py and postgres_writer.py.
"""
from dataclasses import dataclass

from sqlalchemy import Connection, Table

from leadcrm.imports.engine import postgres_writer, sqlite_writer
from leadcrm.imports.engine.batches import LEAD_COLUMNS, LEAD_WIDTH, Batch
from leadcrm.models import Company, Tag

_COMPANY = LEAD_COLUMNS.index("company_key")
_KNOWN_LIMIT = 200_000  # names remembered per import with their ids (they repeat across batches)


@dataclass(slots=True)
class Outcome:
    successful: int
    skipped: int
    errors: int


class BatchWriter:
    """Writes the batches of one import on one connection."""

    def __init__(self, conn: Connection, workspace_id: int, import_id: int):
        self.conn, self.workspace_id, self.import_id = conn, workspace_id, import_id
        self.bulk = postgres_writer if conn.dialect.name == "postgresql" else sqlite_writer
        self.ids: dict[Table, dict[str, int]] = {Company.__table__: {}, Tag.__table__: {}}

    def forget(self) -> None:
        """After a rolled-back batch: names created in it no longer exist."""
        for ids in self.ids.values():
            ids.clear()

    def write(self, batch: Batch, now) -> Outcome:
        company_ids = self._ensure(Company.__table__, batch.companies)
        tag_ids = self._ensure(Tag.__table__, batch.tags)
        leads = batch.leads.copy()  # the batch stays as it is, to be written again after a deadlock
        leads[_COMPANY::LEAD_WIDTH] = map(company_ids.get, leads[_COMPANY::LEAD_WIDTH])  # None stays None
        inserted = self.bulk.insert_leads(self.conn, self.workspace_id, self.import_id, now, leads,
                                          batch.links, tag_ids)
        issues = batch.issues + self._duplicates(batch, inserted)
        if issues:
            self.bulk.insert_issues(self.conn, self.import_id, issues)
        errors = sum(1 for issue in batch.issues if issue[1] == "error")
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

    def _duplicates(self, batch: Batch, inserted: set[int]) -> list[tuple]:
        """Issues for rows the unique index refused, and for later rows of the batch with their email."""
        refused = [line for line in batch.keyed if line not in inserted]
        reasons = {}
        if refused:
            owners = {key: (import_id, line) for key, import_id, line in self.bulk.owners(
                self.conn, self.workspace_id, [batch.keyed[line][1] for line in refused])}
            for line in refused:
                email, key, _ = batch.keyed[line]
                import_id, earlier = owners.get(key, (None, None))
                if import_id == self.import_id and earlier is not None:
                    reasons[line] = f"Email {email!r} was already imported from line {earlier} of this file."
                else:
                    reasons[line] = (f"A lead with email {email!r} already exists in this workspace "
                                     "(existing leads are not updated).")
        issues = [(line, "duplicate", reasons[line], batch.keyed[line][2]) for line in refused]
        for line, earlier, email, values in batch.repeats:
            reason = reasons.get(earlier) or f"Email {email!r} was already imported from line {earlier} of this file."
            issues.append((line, "duplicate", reason, values))
        return issues
