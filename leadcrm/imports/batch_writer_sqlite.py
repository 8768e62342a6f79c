"""SQLite's bulk path for a batch: multi-row INSERT … SELECT … FROM (VALUES …) statements, companies
and tags joined by their keys (SQLite plans these joins on the unique indexes).

Why not executemany: sqlite3 releases the GIL around every row's step, and with the parsing thread
running each row then waits to get it back; one statement of up to 1,024 rows releases it once
while SQLite works on the other core. Statement sizes are powers of two, so that only a few
distinct statements are ever prepared (and cached by sqlite3).
sqlite3 cannot return rows from such a statement, so the new leads are read back by
(import_id, import_line): inside the batch's transaction only this attempt has written these lines.
"""
import json
from functools import lru_cache
from itertools import chain

from sqlalchemy import Connection

_CHUNK = 1024
# "WHERE true" tells SQLite's parser that ON CONFLICT is the upsert clause, not a join constraint.
_INSERT_LEADS = (
    "INSERT INTO lead (workspace_id, import_id, created_at, import_line, first_name, last_name, email, "
    "email_key, phone, company_id, status, source, lead_score, deal_value, notes) "
    "SELECT ?, ?, ?, v.column1, v.column2, v.column3, v.column4, v.column5, v.column6, company.id, "
    "v.column8, v.column9, v.column10, v.column11, v.column12 "
    "FROM (VALUES {values}) AS v "
    "LEFT JOIN company ON company.workspace_id = ? AND company.name_key = v.column7 "
    "WHERE true ON CONFLICT (workspace_id, email_key) DO NOTHING"
)
_NEW_LEADS = "SELECT import_line FROM lead WHERE import_id = ? AND import_line BETWEEN ? AND ?"
# Rows whose lead was not inserted find no lead of this import on their line and drop out.
_INSERT_LINKS = (
    "INSERT INTO lead_tag (lead_id, tag_id) SELECT lead.id, tag.id FROM (VALUES {values}) AS v "
    "JOIN lead ON lead.import_id = ? AND lead.import_line = v.column1 "
    "JOIN tag ON tag.workspace_id = ? AND tag.name_key = v.column2"
)
_INSERT_ISSUES = 'INSERT INTO import_row_issue (import_id, line, kind, reason, "values") SELECT ?, * FROM (VALUES {values})'


@lru_cache(maxsize=64)
def _statement(template: str, rows: int, width: int) -> str:
    return template.format(values=", ".join(["(" + ", ".join("?" * width) + ")"] * rows))


def _run(raw, template: str, rows: list[tuple], width: int, before: tuple, after: tuple) -> None:
    """Run the statement for all rows, in chunks of _CHUNK, then of the powers of two of the rest."""
    start, size = 0, _CHUNK
    while start < len(rows):
        while len(rows) - start < size:
            size //= 2
        chunk = rows[start:start + size]
        raw.execute(_statement(template, size, width), [*before, *chain.from_iterable(chunk), *after])
        start += size


def insert_leads(conn: Connection, workspace_id: int, import_id: int, now, leads: list[tuple],
                 links: list[tuple[int, str]]) -> set[int]:
    """Insert the leads whose email is not taken, and their tag links; the lines of the leads inserted."""
    if not leads:
        return set()
    raw = conn.connection.driver_connection
    # SQLAlchemy stores SQLite datetimes as this text.
    created = now.strftime("%Y-%m-%d %H:%M:%S.%f")
    _run(raw, _INSERT_LEADS, leads, 12, (workspace_id, import_id, created), (workspace_id,))
    _run(raw, _INSERT_LINKS, links, 2, (), (import_id, workspace_id))
    return {line for line, in raw.execute(_NEW_LEADS, (import_id, leads[0][0], leads[-1][0]))}


def insert_issues(conn: Connection, import_id: int, issues: list[tuple]) -> None:
    rows = [(line, kind, reason, json.dumps(values, ensure_ascii=False)) for line, kind, reason, values in issues]
    _run(conn.connection.driver_connection, _INSERT_ISSUES, rows, 4, (import_id,), ())
