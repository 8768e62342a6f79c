#!/usr/bin/env python3
"""What workers on several machines cost and give (issue 17), on a fresh SQLite and PostgreSQL database each:

- upload: a file of --upload-mb MB stored by the web process's storage step (storage.save_upload, what the
  upload view calls once werkzeug has the request body) with UPLOAD_STORAGE=database: seconds and the
  process's peak memory (PSS), against the same with UPLOAD_STORAGE=folder;
- storage: `flask import-leads --json` of the --rows file with UPLOAD_STORAGE=folder, then =database (the
  engine then copies the upload out of the database into a local file first), each into a fresh database: seconds;
- workspaces: two workspaces each queue the --rows file at once; run by one `python worker.py`, then two:
  each workspace's rows/s from its start to its end, and the wall time until both are done.

    python bench/bench_machines.py [--rows 1000000] [--upload-mb 200] [--pg URL] [--no-pg]
                                   [--scenario upload --scenario storage --scenario workspaces]
"""
import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_import import ROOT, PeakMemory, data_file, fresh_database, run_import  # noqa: E402

SCENARIOS = ("upload", "storage", "workspaces")


def in_app(code: str, env: dict, *args: str) -> subprocess.Popen:
    """Python run inside the app's context (the environment decides its database and storage)."""
    prelude = "import sys, json\nfrom leadcrm import create_app\napp = create_app()\nctx = app.app_context(); ctx.push()\n"
    return subprocess.Popen([sys.executable, "-c", prelude + code, *args], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


STORE_UPLOAD = """
import time
from werkzeug.datastructures import FileStorage
from leadcrm.imports.upload import storage
started = time.monotonic()
with open(sys.argv[1], "rb") as stream:
    pending = storage.save_upload(FileStorage(stream, filename="bench.csv"), 1)
print(json.dumps({"seconds": time.monotonic() - started, "bytes": pending.size_bytes}))
"""

QUEUE_IMPORTS = """
from leadcrm.extensions import db
from leadcrm.imports.cli import _create_import
from leadcrm.imports.jobs.enqueue import enqueue_job
from leadcrm.auth.accounts import create_user
from pathlib import Path
ids = []
for name in ("Alpha", "Beta"):
    user = create_user(f"{name.lower()}@example.com", "benchmark password", name)
    choices = {"existing_leads": "skip", "blank_cells": "leave", "tag_mode": "add"}
    _, run_id = _create_import(Path(sys.argv[1]), user.workspace_id, (), choices, (None, None), None, None, False)
    ids.append(run_id)
for run_id in ids:
    enqueue_job(run_id)
print(json.dumps(ids))
"""

FIGURES = """
from leadcrm.extensions import db
from leadcrm.models import LeadImport
rows = [db.session.get(LeadImport, int(i)) for i in sys.argv[1:]]
print(json.dumps([[r.status, r.processed, r.started_at and r.started_at.timestamp(),
                   r.finished_at and r.finished_at.timestamp()] for r in rows]))
"""


def finished(process: subprocess.Popen) -> str:
    out, err = process.communicate()
    if process.returncode:
        raise SystemExit(err)
    return out


def upload(path: Path, env: dict) -> str:
    results = []
    for storage in ("folder", "database"):
        process = in_app(STORE_UPLOAD, {**env, "UPLOAD_STORAGE": storage}, str(path))
        peak = PeakMemory(process.pid)
        peak.start()
        figures = json.loads(finished(process))
        peak.join()
        results.append(f"{storage}: {figures['bytes'] / 2**20:.0f} MB in {figures['seconds']:.1f} s, peak {peak.mb:.0f} MB")
    return "; ".join(results)


def storage(path: Path, engine: str, pg_url: str, base_env: dict) -> str:
    results = []
    for storage in ("folder", "database"):
        with fresh_database(engine, pg_url, base_env) as env:  # each into an empty workspace
            figures, wall, mb = run_import(path, {**env, "UPLOAD_STORAGE": storage})
        results.append(f"{storage}: import {figures['seconds']:.1f} s, {figures['successful']:,} imported "
                       f"(process {wall:.1f} s, peak {mb:.0f} MB)")
    return "; ".join(results)


def workspaces(path: Path, env: dict, workers: int) -> str:
    env = {**env, "UPLOAD_STORAGE": "database"}
    ids = json.loads(finished(in_app(QUEUE_IMPORTS, env, str(path))))
    started = time.time()
    pool = [subprocess.Popen([sys.executable, "worker.py"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL) for _ in range(workers)]
    try:
        while True:
            rows = json.loads(finished(in_app(FIGURES, env, *map(str, ids))))
            if all(status in ("completed", "failed") for status, *_ in rows):
                break
            time.sleep(0.5)
    finally:
        for worker in pool:
            worker.terminate()
            worker.wait()
    rates = [f"{processed / (end - start):,.0f} rows/s ({status}, {start - started:.1f}–{end - started:.1f} s)"
             for status, processed, start, end in rows]
    return f"{workers} worker(s): " + ", ".join(rates) + f"; both done after {max(r[3] for r in rows) - started:.1f} s"


def sized(mb: int) -> Path:
    """A generated file of about `mb` MB (rows of ~110 bytes)."""
    return data_file(max(1000, mb * 2**20 // 110))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--upload-mb", type=int, default=200)
    parser.add_argument("--pg", default=os.environ.get("DATABASE_URL") or "postgresql://root@127.0.0.1/test")
    parser.add_argument("--no-pg", action="store_true")
    parser.add_argument("--scenario", action="append", choices=SCENARIOS)
    args = parser.parse_args(argv)
    base_env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "UPLOAD_STORAGE")}
    for engine in ["sqlite"] + ([] if args.no_pg else ["postgresql"]):
        for name in args.scenario or SCENARIOS:
            runs = [1, 2] if name == "workspaces" else [None]
            for workers in runs:
                if name == "storage":
                    result = storage(data_file(args.rows), engine, args.pg, base_env)
                else:
                    with fresh_database(engine, args.pg, base_env) as env:
                        if name == "upload":
                            result = upload(sized(args.upload_mb), env)
                        else:
                            result = workspaces(data_file(args.rows), env, workers)
                print(f"{engine:>10} {name:>10}  {result}", flush=True)


if __name__ == "__main__":
    main()
