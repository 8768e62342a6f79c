"""PostgreSQL's bulk path for a batch (a BulkWriter): COPY (psycopg 3) into temporary staging tables,
then one statement inserts the leads (INSERT … SELECT … ON CONFLICT DO NOTHING RETURNING) and, from the
rows it returns, their tag links; row issues are COPYed directly (new rows of this batch, nothing
to conflict with).

Company and tag ids come resolved from the writer (ensure_names), so the server does no look-up per row.
Why not COPY straight into lead (with ids from the sequence and a pre-check of the taken emails):
measured slower. COPY writes the heap through a small ring of buffers, and recycling each dirty
buffer of that ring waits for a WAL flush, so synchronous_commit = off no longer spares the import
its WAL fsyncs.
"""
from sqlalchemy import Connection
from sqlalchemy.dialects import postgresql

from leadcrm.imports.engine.batches import LEAD_COLUMNS, LEAD_WIDTH, RowIssue
from leadcrm.imports.engine.bulk import Owner
from leadcrm.imports.engine.updates import UPDATED_COLUMNS, Current
from leadcrm.models import Lead

# One batch per transaction: the staging tables empty themselves at commit, and a deadlock victim
# (see writer.py) can then simply be written again.
BATCHES_PER_COMMIT = 1
_COLUMNS = ", ".join(LEAD_COLUMNS)
_STAGE = (
    "CREATE TEMP TABLE IF NOT EXISTS lead_stage ("
    + ", ".join(f"{name} {Lead.__table__.c[name].type.compile(postgresql.dialect())}" for name in LEAD_COLUMNS)
    + ") ON COMMIT DELETE ROWS;"
    "CREATE TEMP TABLE IF NOT EXISTS link_stage (import_line integer, tag_id integer) ON COMMIT DELETE ROWS"
)
# Sorted by email key: two imports into one workspace then wait on each other's keys in the same
# order and cannot deadlock.
_INSERT = (
    "WITH new AS ("
    f" INSERT INTO lead (workspace_id, import_id, created_at, {_COLUMNS})"
    f" SELECT %(workspace)s, %(import)s, %(now)s, {_COLUMNS} FROM lead_stage ORDER BY email_key"
    " ON CONFLICT (workspace_id, email_key) DO NOTHING RETURNING id, import_line"
    "), links AS ("
    " INSERT INTO lead_tag (lead_id, tag_id)"
    " SELECT new.id, s.tag_id FROM link_stage s JOIN new ON new.import_line = s.import_line"
    ") SELECT import_line FROM new"
)
_UPDATE_STAGE = (
    "CREATE TEMP TABLE IF NOT EXISTS update_stage (id integer, "
    + ", ".join(f"{name} {Lead.__table__.c[name].type.compile(postgresql.dialect())}" for name in UPDATED_COLUMNS)
    + ") ON COMMIT DELETE ROWS"
)
_UPDATE = (f"UPDATE lead SET {', '.join(f'{name} = s.{name}' for name in UPDATED_COLUMNS)}"
           " FROM update_stage s WHERE lead.id = s.id")
_CURRENT = (
    "SELECT lead.id, lead.first_name, lead.last_name, lead.phone, lead.company_id, company.name, company.name_key,"
    " lead.status, lead.source, lead.lead_score, lead.deal_value, lead.notes"
    " FROM lead LEFT JOIN company ON company.id = lead.company_id WHERE lead.id = ANY(%s) ORDER BY lead.id"
)
_ISSUE_COLUMNS = ", ".join(f'"{name}"' for name in RowIssue._fields)  # "values" is an SQL keyword


def tune(conn: Connection) -> None:
    """Nothing for the session: the settings that help are per transaction (insert_leads)."""


def _copy(cursor, statement: str, rows) -> None:
    with cursor.copy(statement) as copy:
        write = copy.write_row
        for row in rows:
            write(row)


def insert_leads(conn: Connection, workspace_id: int, import_id: int, now, leads: list,
                 lines: tuple[int, int], links: list[tuple[int, str]], tag_ids: dict[str, int]) -> set[int]:
    """Once per transaction: the staging tables empty themselves at commit (ON COMMIT DELETE ROWS, no dead
    rows left behind), so a second call in the same transaction would insert the first one's rows again.
    """
    with conn.connection.driver_connection.cursor() as cursor:
        # synchronous_commit: a crash loses at most this uncommitted batch anyway, whose checkpoint goes
        # with it, so not waiting for the WAL flush at each commit cannot lose a row or import one twice.
        # jit: the staging tables have no statistics, the estimated cost is high, and compiling the
        # statement took longer than running it.
        cursor.execute("SET LOCAL synchronous_commit = off; SET LOCAL jit = off; "
                       "SET LOCAL client_min_messages = warning")
        cursor.execute(_STAGE)
        if not leads:
            return set()
        _copy(cursor, f"COPY lead_stage ({_COLUMNS}) FROM STDIN", zip(*[iter(leads)] * LEAD_WIDTH))
        if links:
            _copy(cursor, "COPY link_stage (import_line, tag_id) FROM STDIN",
                  ((line, tag_ids[tag]) for line, tag in links))
        cursor.execute(_INSERT, {"workspace": workspace_id, "import": import_id, "now": now})
        return {line for line, in cursor.fetchall()}


def ensure_names(conn: Connection, table: str, workspace_id: int, names: list[tuple[str, str]]) -> list[tuple[str, int]]:
    """Read back by a second statement: names a concurrent import created are not returned by RETURNING."""
    keys = [key for key, _ in names]
    with conn.connection.driver_connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} (workspace_id, name_key, name)"
                       " SELECT %s, key, name FROM unnest(%s::text[], %s::text[]) WITH ORDINALITY AS n(key, name, i)"
                       " ORDER BY i ON CONFLICT (workspace_id, name_key) DO NOTHING",
                       (workspace_id, keys, [name for _, name in names]))
        # A scalar subquery per key always uses the unique index; with the table's statistics stale in
        # the middle of a big import, "name_key = ANY(…)" was planned as a scan of the whole table.
        cursor.execute(f"SELECT key, (SELECT id FROM {table} WHERE workspace_id = %s AND name_key = key)"
                       " FROM unnest(%s::text[]) AS n(key)", (workspace_id, keys))
        return cursor.fetchall()


def owners(conn: Connection, workspace_id: int, keys: list[str]) -> list[Owner]:
    with conn.connection.driver_connection.cursor() as cursor:
        cursor.execute("SELECT email_key, id, import_id, import_line FROM lead"
                       " WHERE workspace_id = %s AND email_key = ANY(%s)", (workspace_id, keys))
        return [Owner(*row) for row in cursor]


def insert_issues(conn: Connection, import_id: int, issues: list[RowIssue]) -> None:
    with conn.connection.driver_connection.cursor() as cursor:
        _copy(cursor, f"COPY import_row_issue (import_id, {_ISSUE_COLUMNS}) FROM STDIN",
              ((import_id, *issue) for issue in issues))


def seen(conn: Connection, import_id: int, keys: list[str]) -> dict[str, int]:
    with conn.connection.driver_connection.cursor() as cursor:
        cursor.execute("SELECT email_key, line FROM import_seen_email WHERE import_id = %s AND email_key = ANY(%s)",
                       (import_id, keys))
        return dict(cursor.fetchall())


def insert_seen(conn: Connection, import_id: int, pairs: list[tuple[str, int]]) -> None:
    with conn.connection.driver_connection.cursor() as cursor:
        _copy(cursor, "COPY import_seen_email (import_id, email_key, line) FROM STDIN",
              ((import_id, key, line) for key, line in pairs))


def lock_import(conn: Connection, import_id: int) -> None:
    with conn.connection.driver_connection.cursor() as cursor:
        cursor.execute("SELECT id FROM lead_import WHERE id = %s FOR UPDATE", (import_id,))


def current(conn: Connection, lead_ids: list[int], lock: bool
            ) -> tuple[list[Current], dict[int, dict[str, tuple[int, str]]]]:
    with conn.connection.driver_connection.cursor() as cursor:
        cursor.execute(_CURRENT + (" FOR UPDATE OF lead" if lock else ""), (lead_ids,))
        leads = [Current(*row) for row in cursor]
        cursor.execute("SELECT lead_tag.lead_id, tag.id, tag.name_key, tag.name FROM lead_tag"
                       " JOIN tag ON tag.id = lead_tag.tag_id WHERE lead_tag.lead_id = ANY(%s)", (lead_ids,))
        tags: dict[int, dict[str, tuple[int, str]]] = {}
        for lead_id, tag_id, key, name in cursor:
            tags.setdefault(lead_id, {})[key] = (tag_id, name)
    return leads, tags


def update_leads(conn: Connection, rows: list[tuple]) -> None:
    """Once per transaction, like insert_leads: the staging table empties itself at commit."""
    with conn.connection.driver_connection.cursor() as cursor:
        cursor.execute(_UPDATE_STAGE)
        _copy(cursor, f"COPY update_stage (id, {', '.join(UPDATED_COLUMNS)}) FROM STDIN", rows)
        cursor.execute(_UPDATE)


def change_links(conn: Connection, removed: list[tuple[int, int]], added: list[tuple[int, int]]) -> None:
    with conn.connection.driver_connection.cursor() as cursor:
        if removed:
            cursor.execute("DELETE FROM lead_tag USING unnest(%s::integer[], %s::integer[]) AS r(lead_id, tag_id)"
                           " WHERE lead_tag.lead_id = r.lead_id AND lead_tag.tag_id = r.tag_id",
                           [list(column) for column in zip(*removed)])
        if added:
            cursor.execute("INSERT INTO lead_tag (lead_id, tag_id) SELECT * FROM unnest(%s::integer[], %s::integer[])"
                           " ON CONFLICT DO NOTHING", [list(column) for column in zip(*added)])


def insert_changes(conn: Connection, import_id: int, rows: list[tuple]) -> None:
    with conn.connection.driver_connection.cursor() as cursor:
        _copy(cursor, "COPY lead_change (import_id, lead_id, line, field, before, after) FROM STDIN",
              ((import_id, *row) for row in rows))
