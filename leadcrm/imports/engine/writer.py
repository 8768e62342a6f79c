"""Write one batch inside the caller's transaction: companies, tags, leads, tag links, updates of existing
leads (update mode) and row issues, each with a few set-based statements; the unique indexes decide
what already exists.

Companies and tags (a few hundred new names per batch) are created and their ids read back once,
then kept per import, so the bulk writers get ids, not keys to look up row by row. The writes go
through each engine's fastest bulk path, in sqlite_writer.py and postgres_writer.py. A check of the
file (check_writer.py) decides its rows with the same decisions.py and updates.py, and writes none.
"""
from dataclasses import dataclass

from sqlalchemy import Connection, Table

from leadcrm.imports.engine import postgres_writer, sqlite_writer
from leadcrm.imports.engine.batches import COMPANY_AT, LEAD_WIDTH, Batch, RowIssue, keyed_values
from leadcrm.imports.engine.bulk import BulkWriter
from leadcrm.imports.engine.decisions import Decisions, decide, emails_of, lead_starts
from leadcrm.imports.engine.updates import UPDATED_COLUMNS, LeadUpdate, Planner, changes_json
from leadcrm.imports.lifecycle import Claimed
from leadcrm.models import Company, Tag

_KNOWN_LIMIT = 200_000  # names remembered per import with their ids (they repeat across batches)


def bulk_writer(conn: Connection) -> BulkWriter:
    """The bulk path of the connection's database engine."""
    return postgres_writer if conn.dialect.name == "postgresql" else sqlite_writer


@dataclass(slots=True)
class Outcome:
    successful: int  # new leads + updated leads
    updated: int
    skipped: int
    errors: int


def unchanged(line: int, email: str, values: str) -> RowIssue:
    return RowIssue(line, "unchanged", "unchanged", None,
                    f"The lead with email {email!r} already has these values: nothing to update.", values)


class Matches:
    """Update mode: plan the updates of a batch's rows that match existing leads, shared by the import
    (which writes them) and the check (which counts them)."""

    def __init__(self, conn: Connection, bulk: BulkWriter, claimed: Claimed):
        self.conn, self.bulk, self.import_id = conn, bulk, claimed.id
        self.planner = Planner(claimed.mapping, claimed.defaults, claimed.blank_cells, claimed.tag_mode)

    def plan(self, batch: Batch, matches: dict[int, int], starts: dict[int, int], emails: dict,
             lock: bool) -> tuple[list[LeadUpdate], list[RowIssue]]:
        """The updates of the matched rows, and an issue for each row that changes nothing; remembers
        the rows' emails so that later rows with them are duplicates."""
        leads, tags = self.bulk.current(self.conn, sorted(set(matches.values())), lock)
        current = {lead.id: lead for lead in leads}
        row_tags: dict[int, list[str]] = {}
        for line, key in batch.links:
            if line in matches:
                row_tags.setdefault(line, []).append(key)
        updates, issues = [], []
        for line, lead_id in matches.items():
            update = self.planner.plan(batch, line, starts[line], batch.given[line], row_tags.get(line, []),
                                       current[lead_id], tags.get(lead_id, {}))
            if update is None:
                issues.append(unchanged(line, emails[line][0], keyed_values(batch, line)))
            else:
                updates.append(update)
        self.bulk.insert_seen(self.conn, self.import_id, [(emails[line][1], line) for line in matches])
        return updates, issues

    def record(self, updates: list[LeadUpdate]) -> None:
        """Keep each change's before and after (lead_change), for the list of changes and undo."""
        self.bulk.insert_changes(self.conn, self.import_id, [
            (update.lead_id, update.line, change.field, *changes_json(change))
            for update in updates for change in update.changes])


class BatchWriter:
    """Writes the batches of one import on one connection."""

    def __init__(self, conn: Connection, claimed: Claimed):
        self.conn, self.workspace_id, self.import_id = conn, claimed.workspace_id, claimed.id
        self.bulk = bulk_writer(conn)
        self.ids: dict[Table, dict[str, int]] = {Company.__table__: {}, Tag.__table__: {}}
        self.matches = Matches(conn, self.bulk, claimed) if claimed.existing_leads == "update" else None

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
        decisions, updates = self._decide(batch, inserted)
        if updates:
            self._update(updates, company_ids, tag_ids)
        issues = batch.issues + decisions.issues
        if issues:
            self.bulk.insert_issues(self.conn, self.import_id, issues)
        errors = sum(1 for issue in batch.issues if issue.kind == "error")
        successful = len(inserted) + len(updates)
        return Outcome(successful, len(updates), batch.records - successful - errors, errors)

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

    def _decide(self, batch: Batch, inserted: set[int]) -> tuple[Decisions, list[LeadUpdate]]:
        """The rows the unique index refused: duplicates, or (update mode) updates of existing leads."""
        refused = [line for line in batch.keyed if line not in inserted]
        if not refused:
            return decide(batch, {}, {}, {}, self.import_id, False), []
        starts = lead_starts(batch)
        emails = emails_of(batch, refused, starts)
        keys = [key for _, key in emails.values()]
        owners = {owner.email_key: owner for owner in self.bulk.owners(self.conn, self.workspace_id, keys)}
        seen = self.bulk.seen(self.conn, self.import_id, keys) if self.matches else {}
        decisions = decide(batch, emails, owners, seen, self.import_id, self.matches is not None)
        if not decisions.matches:
            return decisions, []
        updates, issues = self.matches.plan(batch, decisions.matches, starts, emails, lock=True)
        decisions.issues += issues
        return decisions, updates

    def _update(self, updates: list[LeadUpdate], company_ids: dict[str, int], tag_ids: dict[str, int]) -> None:
        rows = []
        for update in updates:
            columns = update.columns
            if update.company_key:
                columns["company_id"] = company_ids[update.company_key]
            rows.append((update.lead_id, *(columns[name] for name in UPDATED_COLUMNS)))
        self.bulk.update_leads(self.conn, rows)
        self.bulk.change_links(
            self.conn,
            [(update.lead_id, tag_id) for update in updates for tag_id in update.tags_removed],
            [(update.lead_id, tag_ids[key]) for update in updates for key in update.tags_added])
        self.matches.record(updates)
