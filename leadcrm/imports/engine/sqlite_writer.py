"""SQLite's bulk path for a batch: multi-row INSERT … SELECT … FROM (VALUES …) statements, with the
company and tag ids resolved by the writer (ensure_names).

Why not executemany: sqlite3 releases the GIL around every row's step, and with the parsing thread
running each row then waits to get it back; one statement of up to 1,024 rows releases it once
while SQLite works on the other core. Statement sizes are powers of two, so that only a few
distinct statements are ever prepared (and cached by sqlite3).
The same goes for reading: sqlite3 releases the GIL for each row it fetches, so a result of many
rows is read as one value (group_concat, json_group_array).
sqlite3 cannot return rows from such a statement, so the new leads are read back by
(import_id, import_line): inside the batch's transaction only this attempt has written these lines.
"""
import json
from functools import lru_cache
from itertools import chain

from sqlalchemy import Connection

from leadcrm.imports.engine.batches import LEAD_WIDTH

_CHUNK = 1024
# "WHERE true" tells SQLite's parser that ON CONFLICT is the upsert clause, not a join constraint.
_INSERT_LEADS = (
    "INSERT INTO lead (workspace_id, import_id, created_at, import_line, first_name, last_name, email, "
    "email_key, phone, company_id, status, source, lead_score, deal_value, notes) "
    "SELECT ?, ?, ?, * FROM (VALUES {values}) WHERE true ON CONFLICT (workspace_id, email_key) DO NOTHING"
)
_NEW_LEADS = "SELECT group_concat(import_line) FROM lead WHERE import_id = ? AND import_line BETWEEN ? AND ?"
# Rows whose lead was not inserted find no lead of this import on their line and drop out.
_INSERT_LINKS = (
    "INSERT INTO lead_tag (lead_id, tag_id) SELECT lead.id, v.column2 FROM (VALUES {values}) AS v "
    "JOIN lead ON lead.import_id = ? AND lead.import_line = v.column1"
)
_INSERT_ISSUES = 'INSERT INTO import_row_issue (import_id, line, kind, reason, "values") SELECT ?, * FROM (VALUES {values})'


@lru_cache(maxsize=64)
def _statement(template: str, rows: int, width: int) -> str:
    return template.format(values=", ".join(["(" + ", ".join("?" * width) + ")"] * rows))


def _run(raw, template: str, values: list, width: int, before: tuple, after: tuple) -> None:
    """Run the statement for all rows (`width` values each, one after the other in `values`), in chunks
    of _CHUNK rows, then of the powers of two of the rest."""
    rows, start, size = len(values) // width, 0, _CHUNK
    while start < rows:
        while rows - start < size:
            size //= 2
        raw.execute(_statement(template, size, width),
                    [*before, *values[start * width:(start + size) * width], *after])
        start += size


def insert_leads(conn: Connection, workspace_id: int, import_id: int, now, leads: list,
                 links: list[tuple[int, str]], tag_ids: dict[str, int]) -> set[int]:
    """Insert the leads whose email is not taken (LEAD_COLUMNS, flat, with company ids), and their tag
    links; the lines of the leads inserted."""
    if not leads:
        return set()
    raw = conn.connection.driver_connection
    # SQLAlchemy stores SQLite datetimes as this text.
    created = now.strftime("%Y-%m-%d %H:%M:%S.%f")
    _run(raw, _INSERT_LEADS, leads, LEAD_WIDTH, (workspace_id, import_id, created), ())
    _run(raw, _INSERT_LINKS, [value for line, tag in links for value in (line, tag_ids[tag])], 2, (), (import_id,))
    lines = raw.execute(_NEW_LEADS, (import_id, leads[0], leads[-LEAD_WIDTH])).fetchone()[0]
    return set(map(int, lines.split(","))) if lines else set()


def ensure_names(conn: Connection, table: str, workspace_id: int, names: list[tuple[str, str]]) -> list[tuple[str, int]]:
    """Create the (key, name) pairs missing in the workspace, in the order given; (key, id) of them all.

    One statement each way, the pairs as one JSON parameter: an executemany would hand the GIL to
    the parsing thread and wait to get it back once per name."""
    raw = conn.connection.driver_connection
    pairs = json.dumps(names, ensure_ascii=False)
    raw.execute(f"INSERT INTO {table} (workspace_id, name_key, name) SELECT ?, value ->> 0, value ->> 1"
                " FROM json_each(?) WHERE true ON CONFLICT (workspace_id, name_key) DO NOTHING", (workspace_id, pairs))
    return json.loads(raw.execute(
        f"SELECT json_group_array(json_array(name_key, id)) FROM {table} WHERE workspace_id = ? AND name_key IN"
        " (SELECT value ->> 0 FROM json_each(?))", (workspace_id, pairs)).fetchone()[0])


def owners(conn: Connection, workspace_id: int, keys: list[str]) -> list[tuple[str, int | None, int | None]]:
    """(email key, import id, import line) of the workspace's leads with these keys."""
    return json.loads(conn.connection.driver_connection.execute(
        "SELECT json_group_array(json_array(email_key, import_id, import_line)) FROM lead"
        " WHERE workspace_id = ? AND email_key IN (SELECT value FROM json_each(?))",
        (workspace_id, json.dumps(keys, ensure_ascii=False))).fetchone()[0])


def insert_issues(conn: Connection, import_id: int, issues: list[tuple[int, str, str, str]]) -> None:
    """(line, kind, reason, values as JSON text) of each issue."""
    _run(conn.connection.driver_connection, _INSERT_ISSUES, list(chain.from_iterable(issues)), 4, (import_id,), ())
