"""What a bulk writer provides: each database engine's fastest way to read and write a batch's rows,
and its tuning. sqlite_writer and postgres_writer are modules that satisfy BulkWriter; writer.bulk_writer
picks one.
"""
from typing import NamedTuple, Protocol

from sqlalchemy import Connection

from leadcrm.imports.engine.batches import RowIssue
from leadcrm.imports.engine.updates import Current


class Owner(NamedTuple):
    """The lead that holds an email key in the workspace, and where it came from."""

    email_key: str
    lead_id: int
    import_id: int | None
    import_line: int | None


class BulkWriter(Protocol):
    # Batches written in one transaction: a commit costs the engine more or less than holding more rows.
    BATCHES_PER_COMMIT: int

    def tune(self, conn: Connection) -> None:
        """Session settings for a long import on this connection."""

    def insert_leads(self, conn: Connection, workspace_id: int, import_id: int, now, leads: list,
                     lines: tuple[int, int], links: list[tuple[int, str]], tag_ids: dict[str, int]) -> set[int]:
        """Insert the leads whose email is not taken (batches.LEAD_COLUMNS, flat, with company ids) and
        their tag links; the lines of the leads inserted. `lines`: the batch's first and last line."""

    def ensure_names(self, conn: Connection, table: str, workspace_id: int,
                     names: list[tuple[str, str]]) -> list[tuple[str, int]]:
        """Create the (key, name) pairs missing in the workspace, in the order given; (key, id) of them all."""

    def owners(self, conn: Connection, workspace_id: int, keys: list[str]) -> list[Owner]:
        """The workspace's leads with these email keys."""

    def insert_issues(self, conn: Connection, import_id: int, issues: list[RowIssue]) -> None:
        """Insert the batch's row issues."""

    def seen(self, conn: Connection, import_id: int, keys: list[str]) -> dict[str, int]:
        """Which of these email keys the import has seen (import_seen_email), with their lines."""

    def insert_seen(self, conn: Connection, import_id: int, seen: list[tuple[str, int]]) -> None:
        """Remember (email key, line) pairs the import has decided."""

    def lock_import(self, conn: Connection, import_id: int) -> None:
        """Hold the import's row (SQLite: the database) until the transaction ends: undo batches of one
        import never run at once."""

    def current(self, conn: Connection, lead_ids: list[int], lock: bool
                ) -> tuple[list[Current], dict[int, dict[str, tuple[int, str]]]]:
        """These leads' values and their tags (lead id → tag key → (tag id, name)); locked until the
        transaction ends when `lock` (in id order, so that two imports never deadlock on them)."""

    def update_leads(self, conn: Connection, rows: list[tuple]) -> None:
        """Set (id, first_name, last_name, phone, company_id, status, source, lead_score, deal_value, notes)."""

    def change_links(self, conn: Connection, removed: list[tuple[int, int]], added: list[tuple[int, int]]) -> None:
        """Remove and add (lead id, tag id) links."""

    def insert_changes(self, conn: Connection, import_id: int, rows: list[tuple]) -> None:
        """Insert (lead id, line, field, before JSON, after JSON) rows of lead_change."""
