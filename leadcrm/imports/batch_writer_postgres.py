"""PostgreSQL's bulk path for a batch: COPY (psycopg 3) into temporary staging tables, then one
statement inserts the leads (INSERT … SELECT … ON CONFLICT DO NOTHING RETURNING) and, from the
rows it returns, their tag links; row issues are COPYed directly (new rows of this batch, nothing
to conflict with).

Companies and tags are looked up by key in scalar subqueries, which always use their unique index:
the planner's statistics of lead and company are stale in the middle of a big import, and a join
it plans from them can turn into a scan of the whole table per batch.
"""
import json

from sqlalchemy import Connection

from .batches import LEAD_COLUMNS

_STAGE = (
    "CREATE TEMP TABLE IF NOT EXISTS lead_stage (import_line integer, first_name text, last_name text, "
    "email text, email_key text, phone text, company_key text, status text, source text, "
    "lead_score integer, deal_value numeric(14, 2), notes text) ON COMMIT DELETE ROWS;"
    "CREATE TEMP TABLE IF NOT EXISTS link_stage (import_line integer, tag_key text) ON COMMIT DELETE ROWS"
)
# Sorted by email key: two imports into one workspace then wait on each other's keys in the same
# order and cannot deadlock.
_INSERT = (
    "WITH new AS ("
    " INSERT INTO lead (workspace_id, import_id, created_at, import_line, first_name, last_name, email,"
    " email_key, phone, company_id, status, source, lead_score, deal_value, notes)"
    " SELECT %(workspace)s, %(import)s, %(now)s, s.import_line, s.first_name, s.last_name, s.email,"
    " s.email_key, s.phone,"
    " (SELECT id FROM company WHERE workspace_id = %(workspace)s AND name_key = s.company_key),"
    " s.status, s.source, s.lead_score, s.deal_value, s.notes"
    " FROM lead_stage s ORDER BY s.email_key"
    " ON CONFLICT (workspace_id, email_key) DO NOTHING RETURNING id, import_line"
    "), links AS ("
    " INSERT INTO lead_tag (lead_id, tag_id)"
    " SELECT new.id, (SELECT id FROM tag WHERE workspace_id = %(workspace)s AND name_key = s.tag_key)"
    " FROM link_stage s JOIN new ON new.import_line = s.import_line"
    ") SELECT import_line FROM new"
)


def _copy(cursor, statement: str, rows) -> None:
    with cursor.copy(statement) as copy:
        write = copy.write_row
        for row in rows:
            write(row)


def insert_leads(conn: Connection, workspace_id: int, import_id: int, now, leads: list[tuple],
                 links: list[tuple[int, str]]) -> set[int]:
    """Insert the leads whose email is not taken, and their tag links; the lines of the leads inserted."""
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
        _copy(cursor, f"COPY lead_stage ({', '.join(LEAD_COLUMNS)}) FROM STDIN", leads)
        if links:
            _copy(cursor, "COPY link_stage (import_line, tag_key) FROM STDIN", links)
        cursor.execute(_INSERT, {"workspace": workspace_id, "import": import_id, "now": now})
        return {line for line, in cursor.fetchall()}


def insert_issues(conn: Connection, import_id: int, issues: list[tuple]) -> None:
    with conn.connection.driver_connection.cursor() as cursor:
        _copy(cursor, 'COPY import_row_issue (import_id, line, kind, reason, "values") FROM STDIN',
              ((import_id, line, kind, reason, json.dumps(values, ensure_ascii=False))
               for line, kind, reason, values in issues))
