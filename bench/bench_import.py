#!/usr/bin/env python3
"""Import speed and memory: generated files of 100k and 1M leads through `flask import-leads`, into a
fresh SQLite database and a fresh PostgreSQL database for each scenario:

- create: the file into an empty workspace (the reference rate);
- floor: bench/schema_floor.py, the database alone writing the same rows (parsed before its clock starts);
- check: `--check` of the file on an empty workspace (it must take at most half the import's time);
- update-all: the file imported, then the same rows with new phones and statuses with `--update`;
- update-10: every tenth row imported, then the whole changed file with `--update` (10 % existing emails).
- workbook: the same rows as an Excel workbook with a shared-strings table, as Excel writes it (its rate
  against create's is the workbook's share of the CSV rate). A full Excel sheet is `--rows 1048575`: the
  header takes the first of its 1,048,576 rows, and a workbook with more is refused, as Excel would.

    python bench/bench_import.py [--rows 100000 --rows 1000000] [--pg postgresql://root@127.0.0.1/test] [--no-pg]
                                 [--notes-chars 2000] [--scenario create --scenario check …]

Files are made once by bench/generate_leads.py into bench/data/ (git-ignored). Each import runs in its
own process; its peak memory is the largest sum of the PSS of that process and its parser child.
"""
import csv
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
from contextlib import contextmanager
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


def derived(path: Path, name: str, keep) -> Path:
    """A file made from `path` row by row (`keep(number, row)` returns the row to write, or None), once."""
    out = path.with_name(f"{path.stem}-{name}.csv")
    if not out.exists():
        partial = out.with_suffix(".partial")
        with open(path, newline="", encoding="utf-8") as source, open(partial, "w", newline="", encoding="utf-8") as sink:
            reader, writer = csv.reader(source), csv.writer(sink, lineterminator="\n")
            header = next(reader)
            writer.writerow(header)
            for number, row in enumerate(reader):
                row = keep(number, row, header)
                if row is not None:
                    writer.writerow(row)
        partial.rename(out)
    return out


def workbook_file(path: Path) -> Path:
    """The CSV's rows as an .xlsx (written by openpyxl, then rewritten with shared strings), once."""
    out = path.with_suffix(".xlsx")
    if not out.exists():
        import openpyxl

        sys.path.insert(0, str(ROOT))
        from tests.support.workbooks import with_shared_strings

        print(f"generating {out.name} …", file=sys.stderr)
        book = openpyxl.Workbook(write_only=True)
        sheet = book.create_sheet("Leads")
        with open(path, newline="", encoding="utf-8") as source:
            for row in csv.reader(source):
                sheet.append(row)
        partial = out.with_suffix(".partial.xlsx")
        book.save(partial)
        with_shared_strings(partial).rename(out)
    return out


def changed(number: int, row: list[str], header: list[str]) -> list[str]:
    """The same lead with a new phone, and every third one with a new status."""
    row[header.index("phone")] = f"+99 {number}"
    if number % 3 == 0:
        row[header.index("status")] = "contacted"
    return row


def every_tenth(number: int, row: list[str], header: list[str]) -> list[str] | None:
    return row if number % 10 == 0 else None


def flask(args: list[str], env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "flask", "--app", "app", *args], cwd=ROOT, env=env,
                          check=True, capture_output=True, text=True)


def run_import(path: Path, env: dict, *options: str) -> tuple[dict, float, float]:
    """Figures printed by the CLI, wall seconds, and the peak memory of the import's processes in MB."""
    started = time.monotonic()
    process = subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "import-leads", str(path),
                                "--workspace", "Bench", "--json", *options], cwd=ROOT, env=env,
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
    every 250 ms. PSS counts the pages a fork still shares with its parent once, split between them,
    so the sum is what the machine really spends (RSS would count them twice). Reading a process's PSS
    walks its page tables (about 3 ms for 150 MB here, holding the process's memory map lock): sampled
    every 20 ms, it took a quarter of a core from the import it measured, and made it about 25 % slower."""

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
            time.sleep(0.25)

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


@contextmanager
def fresh_database(engine: str, pg_url: str, base_env: dict):
    """The environment of the app on a new, migrated database of this engine, with the Bench workspace."""
    with tempfile.TemporaryDirectory(prefix="leadcrm-bench-") as folder:
        instance = Path(folder)
        if engine == "sqlite":
            yield prepare(f"sqlite:///{instance / 'bench.sqlite3'}", instance, base_env)
            return
        admin = re.sub(r"^postgresql\+psycopg", "postgresql", pg_url)
        name = f"leadcrm_bench_{os.getpid()}"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        try:
            yield prepare(admin.rsplit("/", 1)[0] + "/" + name, instance, base_env)
        finally:
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def floor(path: Path, env: dict) -> float:
    """Seconds the database alone takes to write the file's rows into the schema (bench/schema_floor.py)."""
    url = re.sub(r"^postgresql\+psycopg", "postgresql", env["DATABASE_URL"])
    out = subprocess.run([sys.executable, str(ROOT / "bench" / "schema_floor.py"), str(path), url], cwd=ROOT,
                         env=env, check=True, capture_output=True, text=True).stdout
    return json.loads(out)["seconds"]


def scenario(name: str, path: Path, env: dict) -> tuple[dict, float, float]:
    """Run one scenario on a fresh database: what is timed, with its figures, wall seconds and peak MB."""
    if name == "create":
        return run_import(path, env)
    if name == "check":
        return run_import(path, env, "--check")
    if name == "update-all":
        run_import(path, env)
        return run_import(derived(path, "changed", changed), env, "--update")
    if name == "update-10":
        run_import(derived(path, "tenth", every_tenth), env)
        return run_import(derived(path, "changed", changed), env, "--update")
    if name == "workbook":
        return run_import(workbook_file(path), env)
    raise ValueError(name)


SCENARIOS = ("create", "floor", "check", "update-all", "update-10", "workbook")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, action="append", help="file sizes (default: 100000 and 1000000)")
    parser.add_argument("--pg", default=os.environ.get("DATABASE_URL") or "postgresql://root@127.0.0.1/test",
                        help="a PostgreSQL URL whose server gets a scratch database")
    parser.add_argument("--no-pg", action="store_true", help="SQLite only")
    parser.add_argument("--notes-chars", type=int, default=0,
                        help="files of wide rows: each non-empty note this long (e.g. 2000)")
    parser.add_argument("--scenario", action="append", choices=SCENARIOS, help=f"default: all of {', '.join(SCENARIOS)}")
    args = parser.parse_args(argv)
    base_env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    print(f"{'file':>24} {'engine':>10} {'scenario':>10} {'rows':>9} {'seconds':>8} {'rows/s':>8} {'vs create':>9} "
          f"{'peak mem':>9}  outcome")
    for rows in args.rows or [100_000, 1_000_000]:
        path = data_file(rows, args.notes_chars)
        for engine in ["sqlite"] + ([] if args.no_pg else ["postgresql"]):
            reference = None
            for name in args.scenario or SCENARIOS:
                with fresh_database(engine, args.pg, base_env) as env:
                    if name == "floor":
                        seconds = floor(path, env)
                        ratio = f"{seconds / reference:.2f}" if reference else ""
                        print(f"{path.name:>24} {engine:>10} {name:>10} {rows:>9,} {seconds:>8.1f} {rows / seconds:>8,.0f} "
                              f"{ratio:>9} {'':>9}  import at {seconds / reference if reference else 0:.2f} of the floor's rate",
                              flush=True)
                        continue
                    figures, wall, mb = scenario(name, path, env)
                seconds = figures["seconds"]
                if name == "create":
                    reference = seconds
                ratio = f"{reference / seconds:.2f}" if reference else ""
                outcome = (f"{figures['successful']:,} imported ({figures['updated']:,} updated), "
                           f"{figures['skipped']:,} skipped, {figures['errors']:,} errors (process {wall:.1f} s)")
                print(f"{path.name:>24} {engine:>10} {name:>10} {figures['processed']:>9,} {seconds:>8.1f} "
                      f"{figures['processed'] / seconds:>8,.0f} {ratio:>9} {mb:>7.0f} MB  {outcome}", flush=True)


if __name__ == "__main__":
    main()
