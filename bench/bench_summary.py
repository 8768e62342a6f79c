"""Render time of the grouped outcome of a 1M-row import with 100,000 skipped and error rows.

    python bench/bench_summary.py [--rows 1000000] [--issues 100000] [--repeat 20] [--pg URL] [--no-pg]

Builds the state straight in a fresh, migrated database of each engine (SQLite file; a scratch PostgreSQL
database on the --pg server) with Core bulk inserts, not a real import: a completed import of --rows rows
whose --issues row issues fall into eight groups of the sizes a real file gives (status words, duplicates,
bad emails, amounts, scores, broken records), plus a second import with as many issues, so that the
grouping query has to find its import's rows among others'. No lead is written: the outcome reads none.
Then, in the process, logged in through the test client, it times GET /imports/<id>/summary (the grouped
outcome fragment) and GET /imports/<id> (the whole page) and prints the median, min and max of --repeat
requests after two warm-up requests, with the plan of the grouping query. Target: median < 300 ms.
"""
import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench_import import fresh_database  # noqa: E402  (bench/ is the script's folder)

HEADER = ["First Name", "Last Name", "Email", "Phone", "Company", "Lead Status", "Deal Value", "Lead Score"]
# (code, column, kind, share of the issues): largest first, as a file with another CRM's status words gives.
GROUPS = [
    ("invalid_status", "Lead Status", "invalid", 0.40),
    ("existing_email", "Email", "duplicate", 0.25),
    ("repeated_email", "Email", "duplicate", 0.12),
    ("invalid_email", "Email", "invalid", 0.10),
    ("invalid_deal_value", "Deal Value", "invalid", 0.05),
    ("field_count", None, "error", 0.04),
    ("invalid_score", "Lead Score", "invalid", 0.03),
    ("undecodable", None, "error", 0.01),
]
BATCH = 10_000


def build(rows: int, issues: int) -> int:
    """The finished import and its issues (and another import's); the id of the one to render."""
    from sqlalchemy import insert, select

    from leadcrm.extensions import db
    from leadcrm.models import ImportRowIssue, LeadImport, User, utcnow

    user = db.session.scalars(select(User)).one()
    random.seed(15)
    ids = []
    for name in ("other.csv", "big.csv"):
        errors = sum(round(issues * share) for _, _, kind, share in GROUPS if kind == "error")
        now = utcnow()
        ids.append(db.session.execute(insert(LeadImport).values(
            workspace_id=user.workspace_id, created_by_id=user.id, original_filename=name, stored_name=name,
            size_bytes=rows * 120, header=HEADER, mapping={column: "" for column in HEADER}, defaults={},
            status="completed", total_rows=rows, processed=rows, checkpoint_rows=rows, successful=rows - issues,
            skipped=issues - errors, errors=errors, attempt=1, queued_at=now, started_at=now, finished_at=now,
            heartbeat_at=now,
        ).returning(LeadImport.id)).scalar())
        lines = iter(sorted(random.sample(range(2, rows + 2), issues)))
        pending = []
        for code, column, kind, share in GROUPS:
            for _ in range(round(issues * share)):
                line = next(lines)
                values = [f"First{line}", f"Last{line}", f"user{line}@example.com", "+1 555 0100", "Acme Ltd",
                          random.choice(["closed-won", "Working", "Nurture", "Open - Not Contacted"]), "1.234,5", "x"]
                pending.append({"import_id": ids[-1], "line": line, "kind": kind, "code": code, "column_name": column,
                                "reason": f"{code} at line {line}", "values": values})
                if len(pending) == BATCH:
                    db.session.execute(insert(ImportRowIssue), pending)
                    pending = []
        if pending:
            db.session.execute(insert(ImportRowIssue), pending)
        db.session.commit()
    # What autovacuum does soon after a large import: statistics, and the visibility map that lets PostgreSQL
    # answer from the index alone.
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(db.text("VACUUM ANALYZE" if db.engine.dialect.name == "postgresql" else "ANALYZE"))
    return ids[-1]


def plan(import_id: int) -> list[str]:
    """The database's plan of the grouping query of results/summary.py."""
    from sqlalchemy import func, select

    from leadcrm.extensions import db
    from leadcrm.models import ImportRowIssue

    query = (select(ImportRowIssue.code, ImportRowIssue.column_name, func.count())
             .where(ImportRowIssue.import_id == import_id)
             .group_by(ImportRowIssue.code, ImportRowIssue.column_name))
    sql = str(query.compile(db.engine, compile_kwargs={"literal_binds": True}))
    if db.engine.dialect.name == "sqlite":
        return [row[-1] for row in db.session.execute(db.text("EXPLAIN QUERY PLAN " + sql))]
    return [row[0] for row in db.session.execute(db.text("EXPLAIN (ANALYZE, COSTS OFF) " + sql))]


def timed(client, path: str, repeat: int) -> list[float]:
    for _ in range(2):
        assert client.get(path).status_code == 200, path
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - began) * 1000)
        assert response.status_code == 200 and b"Status not recognised" in response.data, path
    return times


def measure(engine: str, env: dict, rows: int, issues: int, repeat: int) -> None:
    os.environ.update({k: env[k] for k in ("DATABASE_URL", "INSTANCE_PATH", "UPLOAD_FOLDER")})
    from leadcrm import create_app
    from leadcrm.extensions import db

    app = create_app({"RATELIMIT_ENABLED": False, "WTF_CSRF_ENABLED": False})
    with app.app_context():
        began = time.perf_counter()
        import_id = build(rows, issues)
        print(f"{engine}: built {2 * issues:,} row issues of two {rows:,}-row imports in "
              f"{time.perf_counter() - began:.1f} s")
        for line in plan(import_id):
            print(f"  plan: {line}")
        client = app.test_client()
        login = client.post("/login", data={"email": "bench@example.com", "password": "benchmark password"})
        assert login.status_code == 303, login.status_code
        pages = (("summary fragment", f"/imports/{import_id}/summary"), ("import page", f"/imports/{import_id}"))
        for name, path in pages:
            ms = timed(client, path, repeat)
            print(f"  GET {path:<22} ({name}): median {statistics.median(ms):.1f} ms   min {min(ms):.1f} ms   "
                  f"max {max(ms):.1f} ms   ({repeat} requests)")
        db.session.remove()
        db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows of the import")
    parser.add_argument("--issues", type=int, default=100_000, help="skipped and error rows of the import")
    parser.add_argument("--repeat", type=int, default=20, help="timed requests per URL")
    parser.add_argument("--pg", default=os.environ.get("DATABASE_URL") or "postgresql://root@127.0.0.1/test",
                        help="a PostgreSQL URL whose server gets a scratch database")
    parser.add_argument("--no-pg", action="store_true", help="SQLite only")
    args = parser.parse_args()
    base_env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "INSTANCE_PATH", "UPLOAD_FOLDER")}
    for engine in ["sqlite"] + ([] if args.no_pg else ["postgresql"]):
        with fresh_database(engine, args.pg, base_env) as env:
            measure(engine, env, args.rows, args.issues, args.repeat)


if __name__ == "__main__":
    main()
