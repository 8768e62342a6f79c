#!/usr/bin/env python3
"""Import speed and memory: generated files of 100k and 1M leads through `flask import-leads`, into a
fresh SQLite database and a fresh PostgreSQL database each time.

    python bench/bench_import.py [--rows 100000 --rows 1000000] [--pg postgresql://root@127.0.0.1/test] [--no-pg]
                                 [--notes-chars 2000]

Files are made once by bench/generate_leads.py into bench/data/ (git-ignored). Each import runs in its
own process; its peak memory is the largest sum of the PSS of that process and its parser child.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / "data"


def data_file(rows: int, notes_chars: int = 0) -> Path:
    path = DATA / (f"leads-{rows}-notes{notes_chars}.csv" if notes_chars else f"leads-{rows}.csv")
    if not path.exists():
        DATA.mkdir(parents=True, exist_ok=True)
        print(f"generating {path.name} …", file=sys.stderr)
        partial = path.with_suffix(".partial")
        subprocess.run([sys.executable, str(ROOT / "bench" / "generate_leads.py"), "--rows", str(rows),
                        "--seed", "42", "--notes-chars", str(notes_chars), "--out", str(partial)], check=True)
        partial.rename(path)
    return path


def flask(args: list[str], env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "flask", "--app", "app", *args], cwd=ROOT, env=env,
                          check=True, capture_output=True, text=True)


def run_import(path: Path, env: dict) -> tuple[dict, float, float]:
    """Figures printed by the CLI, wall seconds, and the peak memory of the import's processes in MB."""
    started = time.monotonic()
    process = subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "import-leads", str(path),
                                "--workspace", "Bench", "--json"], cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = PeakMemory(process.pid)
    peak.start()
    out, err = process.communicate()
    peak.join()
    wall = time.monotonic() - started
    if process.returncode:
        raise SystemExit(f"import failed:\n{out}\n{err}")
    return json.loads(out), wall, peak.mb


class PeakMemory(threading.Thread):
    """The largest total memory of a process and its children (the engine forks a parser), sampled
    every 20 ms. PSS counts the pages a fork still shares with its parent once, split between them,
    so the sum is what the machine really spends (RSS would count them twice)."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid, self.mb = pid, 0.0

    def run(self) -> None:
        while True:
            pids = [self.pid, *self._children(self.pid)]
            total = sum(self._pss_kib(pid) for pid in pids)
            if not total:
                return
            self.mb = max(self.mb, total / 1024)
            time.sleep(0.02)

    @staticmethod
    def _children(pid: int) -> list[int]:
        try:
            tasks = Path(f"/proc/{pid}/task").iterdir()
            return [int(child) for task in tasks for child in (task / "children").read_text().split()]
        except OSError:
            return []

    @staticmethod
    def _pss_kib(pid: int) -> int:
        try:
            text = Path(f"/proc/{pid}/smaps_rollup").read_text()
        except OSError:
            return 0
        found = re.search(r"^Pss:\s+(\d+)", text, re.M)  # none once the process has exited
        return int(found.group(1)) if found else 0


def prepare(database_url: str, instance: Path, base_env: dict) -> dict:
    env = {**base_env, "DATABASE_URL": database_url, "INSTANCE_PATH": str(instance),
           "UPLOAD_FOLDER": str(instance / "uploads")}
    flask(["db", "upgrade"], env)
    flask(["create-user", "bench@example.com", "--password", "benchmark password", "--workspace", "Bench"], env)
    return env


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, action="append", help="file sizes (default: 100000 and 1000000)")
    parser.add_argument("--pg", default=os.environ.get("DATABASE_URL") or "postgresql://root@127.0.0.1/test",
                        help="a PostgreSQL URL whose server gets a scratch database")
    parser.add_argument("--no-pg", action="store_true", help="SQLite only")
    parser.add_argument("--notes-chars", type=int, default=0,
                        help="files of wide rows: each non-empty note this long (e.g. 2000)")
    args = parser.parse_args(argv)
    base_env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    print(f"{'file':>12} {'engine':>10} {'rows':>9} {'seconds':>8} {'rows/s':>8} {'peak mem':>9}  outcome")
    for rows in args.rows or [100_000, 1_000_000]:
        path = data_file(rows, args.notes_chars)
        engines = ["sqlite"] + ([] if args.no_pg else ["postgresql"])
        for engine in engines:
            with tempfile.TemporaryDirectory(prefix="leadcrm-bench-") as folder:
                instance = Path(folder)
                if engine == "sqlite":
                    env = prepare(f"sqlite:///{instance / 'bench.sqlite3'}", instance, base_env)
                    figures, wall, rss = run_import(path, env)
                else:
                    admin = re.sub(r"^postgresql\+psycopg", "postgresql", args.pg)
                    name = f"leadcrm_bench_{os.getpid()}"
                    with psycopg.connect(admin, autocommit=True) as conn:
                        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
                        conn.execute(f'CREATE DATABASE "{name}"')
                    try:
                        env = prepare(admin.rsplit("/", 1)[0] + "/" + name, instance, base_env)
                        figures, wall, rss = run_import(path, env)
                    finally:
                        with psycopg.connect(admin, autocommit=True) as conn:
                            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                shutil.rmtree(instance / "uploads", ignore_errors=True)
            seconds = figures["seconds"]
            outcome = (f"{figures['successful']:,} imported, {figures['skipped']:,} skipped, "
                       f"{figures['errors']:,} errors (process {wall:.1f} s)")
            print(f"{path.name:>12} {engine:>10} {figures['processed']:>9,} {seconds:>8.1f} "
                  f"{figures['processed'] / seconds:>8,.0f} {rss:>7.0f} MB  {outcome}", flush=True)


if __name__ == "__main__":
    main()
