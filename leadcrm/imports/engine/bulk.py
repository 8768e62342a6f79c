"""What a bulk writer provides: each database engine's fastest way to write a batch, and its tuning.

sqlite_writer and postgres_writer are modules that satisfy BulkWriter; writer.BatchWriter picks one.
"""
from typing import NamedTuple, Protocol

from sqlalchemy import Connection


class Owner(NamedTuple):
    """The lead that holds an email key in the workspace, and where it came from."""

    email_key: str
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

    def insert_issues(self, conn: Connection, import_id: int, issues: list) -> None:
        """Insert the batch's row issues (batches.RowIssue)."""

