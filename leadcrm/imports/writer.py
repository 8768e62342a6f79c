"""Write one batch inside the caller's transaction: companies, tags, leads, tag links and row issues,
each with a few set-based statements; the unique indexes decide what already exists.

Companies and tags go through SQLAlchemy Core (a few hundred new names per batch) and their ids are
kept per import, so the bulk writers get ids, not keys to look up row by row; the high-volume
tables (lead, lead_tag, import_row_issue) go through each engine's fastest bulk path, in
batch_writer_sqlite.py and batch_writer_postgres.py.
"""
from dataclasses import dataclass

from sqlalchemy import Connection, Table, select
from sqlalchemy.dialects import postgresql, sqlite

from ..models import Company, Lead, Tag
from . import batch_writer_postgres, batch_writer_sqlite
from .batches import Batch

_KNOWN_LIMIT = 200_000  # names remembered per import as existing (they repeat across batches)
_IN_CHUNK = 2000


@dataclass(slots=True)
class Outcome:
    successful: int
    skipped: int
    errors: int


class BatchWriter:
    """Writes the batches of one import on one connection."""

    def __init__(self, conn: Connection, workspace_id: int, import_id: int):
        self.conn, self.workspace_id, self.import_id = conn, workspace_id, import_id
        postgres = conn.dialect.name == "postgresql"
        self.bulk = batch_writer_postgres if postgres else batch_writer_sqlite
        self.insert = postgresql.insert if postgres else sqlite.insert
        self.ids: dict[Table, dict[str, int]] = {Company.__table__: {}, Tag.__table__: {}}

    def forget(self) -> None:
        """After a rolled-back batch: names created in it no longer exist."""
        for ids in self.ids.values():
            ids.clear()

    def write(self, batch: Batch, now) -> Outcome:
        company_ids = self._ensure(Company.__table__, batch.companies)
        tag_ids = self._ensure(Tag.__table__, batch.tags)
        inserted = self.bulk.insert_leads(self.conn, self.workspace_id, self.import_id, now, batch.leads,
                                          batch.links, company_ids, tag_ids)
        issues = batch.issues + self._duplicates(batch, inserted)
        if issues:
            self.bulk.insert_issues(self.conn, self.import_id, issues)
        errors = sum(1 for issue in batch.issues if issue[1] == "error")
        return Outcome(len(inserted), batch.records - len(inserted) - errors, errors)

    def _ensure(self, table: Table, names: dict[str, str]) -> dict[str, int]:
        """Create the names missing in the workspace (sorted, so concurrent imports lock them in one order);
        the ids of the workspace's names by key, those of this batch included."""
        ids = self.ids[table]
        missing = sorted(key for key in names if key not in ids)
        if missing:
            if len(ids) > _KNOWN_LIMIT:
                ids.clear()
            self.conn.execute(
                self.insert(table).on_conflict_do_nothing(index_elements=["workspace_id", "name_key"]),
                [{"workspace_id": self.workspace_id, "name": names[key], "name_key": key} for key in missing],
            )
            # Read back rather than RETURNING: names a concurrent import created return nothing above.
            for start in range(0, len(missing), _IN_CHUNK):
                ids.update(self.conn.execute(
                    select(table.c.name_key, table.c.id).where(
                        table.c.workspace_id == self.workspace_id,
                        table.c.name_key.in_(missing[start:start + _IN_CHUNK]))).tuples())
        return ids

    def _duplicates(self, batch: Batch, inserted: set[int]) -> list[tuple]:
        """Issues for rows the unique index refused, and for later rows of the batch with their email."""
        refused = [line for line in batch.keyed if line not in inserted]
        reasons = {}
        if refused:
            owners = {}
            keys = [batch.keyed[line][1] for line in refused]
            for start in range(0, len(keys), _IN_CHUNK):
                owners.update((key, (import_id, line)) for key, import_id, line in self.conn.execute(
                    select(Lead.email_key, Lead.import_id, Lead.import_line).where(
                        Lead.workspace_id == self.workspace_id, Lead.email_key.in_(keys[start:start + _IN_CHUNK]))))
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
