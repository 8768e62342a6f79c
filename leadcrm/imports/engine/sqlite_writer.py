"""SQLite's bulk path for a batch (a BulkWriter): multi-row INSERT … SELECT … FROM (VALUES …) statements,
with the company and tag ids resolved by the writer (ensure_names).

Why not executemany: it binds, steps and resets the statement once per row from the driver's loop
(releasing and taking back the GIL around each step); one statement of up to 1,024 rows does that
once. Statement sizes are powers of two, so that only a few distinct statements are ever prepared
(and cached by sqlite3).
The same goes for reading: sqlite3 releases the GIL for each row it fetches, so a result of many
rows is read as one value (group_concat, json_group_array).
sqlite3 cannot return rows from such a statement, so the new leads are read back by
(import_id, import_line): inside the batch's transaction only this attempt has written these lines.
"""
import json
from functools import lru_cache
from itertools import chain

from sqlalchemy import Connection

from leadcrm.imports.engine.batches import LEAD_COLUMNS, LEAD_WIDTH, RowIssue
from leadcrm.imports.engine.bulk import Owner
from leadcrm.imports.engine.updates import UPDATED_COLUMNS, Current

# A commit rewrites every index page the transaction touched, and random email keys touch most of the
# unique index: fewer, larger commits cost far less, while the batches in memory stay small.
BATCHES_PER_COMMIT = 4
# The unique email index of a big workspace outgrows the default 2 MB page cache; each insert would
# then read its index pages back from the operating system.
_CACHE_KIB = 32 * 1024
_CHUNK = 1024
# "WHERE true" tells SQLite's parser that ON CONFLICT is the upsert clause, not a join constraint.
_INSERT_LEADS = (
    f"INSERT INTO lead (workspace_id, import_id, created_at, {', '.join(LEAD_COLUMNS)}) "
    "SELECT ?, ?, ?, * FROM (VALUES {values}) WHERE true ON CONFLICT (workspace_id, email_key) DO NOTHING"
)
_NEW_LEADS = ("SELECT group_concat(import_line || ',' || id) FROM lead"
              " WHERE import_id = ? AND import_line BETWEEN ? AND ?")
# With the new leads' ids at hand, each link is a plain primary-key insert (joining lead on its line instead
# cost a search of the (import_id, import_line) index per link: a sixth of the import's time).
_INSERT_LINKS = "INSERT INTO lead_tag (lead_id, tag_id) VALUES {values}"
_UPDATE_LEADS = (
    f"UPDATE lead SET {', '.join(f'{name} = v.column{i}' for i, name in enumerate(UPDATED_COLUMNS, 2))}"
    " FROM (VALUES {values}) AS v WHERE lead.id = v.column1"
)
_CURRENT = (
    "SELECT json_group_array(json_array(lead.id, lead.first_name, lead.last_name, lead.phone, lead.company_id,"
    " company.name, company.name_key, lead.status, lead.source, lead.lead_score, lead.deal_value, lead.notes))"
    " FROM lead LEFT JOIN company ON company.id = lead.company_id WHERE lead.id IN (SELECT value FROM json_each(?))"
)
_CURRENT_TAGS = (
    "SELECT json_group_array(json_array(lead_tag.lead_id, tag.id, tag.name_key, tag.name)) FROM lead_tag"
    " JOIN tag ON tag.id = lead_tag.tag_id WHERE lead_tag.lead_id IN (SELECT value FROM json_each(?))"
)
# Through the rowids the primary key finds: with "(lead_id, tag_id) IN (VALUES …)" SQLite scans the whole table.
_DELETE_LINKS = ("DELETE FROM lead_tag WHERE rowid IN (SELECT lead_tag.rowid FROM (VALUES {values}) AS v"
                 " JOIN lead_tag ON lead_tag.lead_id = v.column1 AND lead_tag.tag_id = v.column2)")
_ADD_LINKS = "INSERT INTO lead_tag (lead_id, tag_id) VALUES {values} ON CONFLICT DO NOTHING"
_INSERT_CHANGES = ("INSERT INTO lead_change (import_id, lead_id, line, field, before, after)"
                   " SELECT ?, * FROM (VALUES {values})")
_INSERT_SEEN = "INSERT INTO import_seen_email (import_id, email_key, line) SELECT ?, * FROM (VALUES {values})"
_ISSUE_COLUMNS = ", ".join(f'"{name}"' for name in RowIssue._fields)  # "values" is an SQL keyword
_INSERT_ISSUES = f"INSERT INTO import_row_issue (import_id, {_ISSUE_COLUMNS}) SELECT ?, * FROM (VALUES {{values}})"


def tune(conn: Connection) -> None:
    """A bigger page cache, and WAL checkpoints less often: random email keys dirty index pages all over
    the file, and each checkpoint copies them to the database again."""
    conn.exec_driver_sql(f"PRAGMA cache_size = -{_CACHE_KIB}")
    conn.exec_driver_sql("PRAGMA wal_autocheckpoint = 16384")


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
                 lines: tuple[int, int], links: list[tuple[int, str]], tag_ids: dict[str, int]) -> set[int]:
    if not leads:
        return set()
    raw = conn.connection.driver_connection
    # SQLAlchemy stores SQLite datetimes as this text.
    created = now.strftime("%Y-%m-%d %H:%M:%S.%f")
    _run(raw, _INSERT_LEADS, leads, LEAD_WIDTH, (workspace_id, import_id, created), ())
    pairs = raw.execute(_NEW_LEADS, (import_id, *lines)).fetchone()[0]
    numbers = list(map(int, pairs.split(","))) if pairs else []
    ids = dict(zip(numbers[::2], numbers[1::2]))  # line → id; rows the unique index refused have none
    _run(raw, _INSERT_LINKS, [value for line, tag in links if line in ids for value in (ids[line], tag_ids[tag])],
         2, (), ())
    return set(ids)


def ensure_names(conn: Connection, table: str, workspace_id: int, names: list[tuple[str, str]]) -> list[tuple[str, int]]:
    """One statement each way, the pairs as one JSON parameter (an executemany would release and wait
    for the GIL once per name)."""
    raw = conn.connection.driver_connection
    pairs = json.dumps(names, ensure_ascii=False)
    raw.execute(f"INSERT INTO {table} (workspace_id, name_key, name) SELECT ?, value ->> 0, value ->> 1"
                " FROM json_each(?) WHERE true ON CONFLICT (workspace_id, name_key) DO NOTHING", (workspace_id, pairs))
    return json.loads(raw.execute(
        f"SELECT json_group_array(json_array(name_key, id)) FROM {table} WHERE workspace_id = ? AND name_key IN"
        " (SELECT value ->> 0 FROM json_each(?))", (workspace_id, pairs)).fetchone()[0])


def _json_rows(conn: Connection, sql: str, *params) -> list:
    """The rows of a query that returns them as one json_group_array value."""
    return json.loads(conn.connection.driver_connection.execute(sql, params).fetchone()[0])


def _keys(keys: list) -> str:
    return json.dumps(keys, ensure_ascii=False)


def owners(conn: Connection, workspace_id: int, keys: list[str]) -> list[Owner]:
    return [Owner(*row) for row in _json_rows(
        conn, "SELECT json_group_array(json_array(email_key, id, import_id, import_line)) FROM lead"
        " WHERE workspace_id = ? AND email_key IN (SELECT value FROM json_each(?))", workspace_id, _keys(keys))]


def insert_issues(conn: Connection, import_id: int, issues: list[RowIssue]) -> None:
    _run(conn.connection.driver_connection, _INSERT_ISSUES, list(chain.from_iterable(issues)),
         len(RowIssue._fields), (import_id,), ())


def seen(conn: Connection, import_id: int, keys: list[str]) -> dict[str, int]:
    return dict(_json_rows(
        conn, "SELECT json_group_array(json_array(email_key, line)) FROM import_seen_email"
        " WHERE import_id = ? AND email_key IN (SELECT value FROM json_each(?))", import_id, _keys(keys)))


def insert_seen(conn: Connection, import_id: int, pairs: list[tuple[str, int]]) -> None:
    _run(conn.connection.driver_connection, _INSERT_SEEN, list(chain.from_iterable(pairs)), 2, (import_id,), ())


def lock_import(conn: Connection, import_id: int) -> None:
    """SQLite locks the whole database: take its write lock now, before the reads the writes depend on
    (a transaction that reads first and writes later fails if another writer committed in between)."""
    raw = conn.connection.driver_connection
    if not raw.in_transaction:
        raw.execute("BEGIN IMMEDIATE")


def current(conn: Connection, lead_ids: list[int], lock: bool
            ) -> tuple[list[Current], dict[int, dict[str, tuple[int, str]]]]:
    """No lock to take: the caller's transaction holds SQLite's one write lock already (insert_leads or
    lock_import ran)."""
    ids = _keys(lead_ids)
    leads = [Current(*row) for row in _json_rows(conn, _CURRENT, ids)]
    tags: dict[int, dict[str, tuple[int, str]]] = {}
    for lead_id, tag_id, key, name in _json_rows(conn, _CURRENT_TAGS, ids):
        tags.setdefault(lead_id, {})[key] = (tag_id, name)
    return leads, tags


def update_leads(conn: Connection, rows: list[tuple]) -> None:
    _run(conn.connection.driver_connection, _UPDATE_LEADS, list(chain.from_iterable(rows)), len(UPDATED_COLUMNS) + 1, (), ())


def change_links(conn: Connection, removed: list[tuple[int, int]], added: list[tuple[int, int]]) -> None:
    raw = conn.connection.driver_connection
    _run(raw, _DELETE_LINKS, list(chain.from_iterable(removed)), 2, (), ())
    _run(raw, _ADD_LINKS, list(chain.from_iterable(added)), 2, (), ())


def insert_changes(conn: Connection, import_id: int, rows: list[tuple]) -> None:
    _run(conn.connection.driver_connection, _INSERT_CHANGES, list(chain.from_iterable(rows)), 5, (import_id,), ())
