"""Exactly once through crashes: a worker killed with SIGKILL in the middle of a large import, and a
Redis that lost its queue, each end with exactly the leads of a clean import (real workers, real Redis)."""
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from sqlalchemy import select, update

from leadcrm import embedded_redis
from leadcrm.extensions import db
from leadcrm.imports.engine.process import process_import
from leadcrm.imports.jobs.control import requeue_import
from leadcrm.imports.jobs.enqueue import enqueue_job
from leadcrm.imports.jobs.recovery import MAX_ATTEMPTS, recover_stalled_imports
from leadcrm.models import Lead, LeadImport, utcnow
from tests.imports.import_helpers import (
    ROOT,
    assert_counts_add_up,
    create_import,
    get_import,
    issues,
    lead_count,
    workspace,
)


@pytest.fixture
def redis_url(tmp_path):
    """A Redis server of this test alone: it gets flushed, and other tests share TEST_REDIS_URL."""
    folder = tmp_path / "redis"
    yield embedded_redis.ensure_running(folder)
    embedded_redis.stop(folder)


@pytest.fixture(autouse=True)
def app_context(app):
    with app.app_context():
        yield


def start_worker(env: dict, log) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "worker.py"], cwd=ROOT, env=env, start_new_session=True,
                            stdout=log, stderr=subprocess.STDOUT)


def children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def stop(process: subprocess.Popen, sig=signal.SIGKILL) -> None:
    """Signal the worker's process group and its work horse's (RQ puts the horse in a group of its own)."""
    for group in [process.pid, *children(process.pid)]:
        try:
            os.killpg(group, sig)
        except ProcessLookupError:
            pass
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)


def wait_for(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def test_a_killed_worker_is_replaced_and_the_import_ends_exactly_once(app, subprocess_env, tmp_path):
    csv_path = tmp_path / "leads.csv"
    subprocess.run([sys.executable, "bench/generate_leads.py", "--rows", "150000", "--seed", "7",
                    "--out", str(csv_path)], cwd=ROOT, check=True, timeout=120)
    data = csv_path.read_bytes()
    import_id = create_import(data, workspace("Acme"))
    assert enqueue_job(import_id)
    env = {**subprocess_env, "IMPORT_BATCH_SIZE": "2000"}
    log = (tmp_path / "workers.log").open("w")
    first = start_worker(env, log)
    try:
        wait_for(lambda: get_import(import_id).processed > 0, 120, "the first batch")
    finally:
        stop(first)
    killed = get_import(import_id)
    assert killed.status == "running" and killed.processed < killed.total_rows

    second = start_worker({**env, "IMPORT_STALE_SECONDS": "3", "IMPORT_RECOVERY_INTERVAL": "2"}, log)
    try:
        wait_for(lambda: get_import(import_id).status in ("completed", "failed"), 300, "the resumed import")
    finally:
        stop(second, signal.SIGTERM)
    imp = get_import(import_id)
    assert imp.status == "completed" and imp.attempt >= 2, (tmp_path / "workers.log").read_text()[-3000:]
    assert_same_as_a_clean_import(import_id, data)


def assert_same_as_a_clean_import(import_id: int, data: bytes) -> None:
    """The resumed import ended exactly as the same file imported in one go into a fresh workspace."""
    imp = get_import(import_id)
    assert_counts_add_up(imp)
    clean_id = create_import(data, workspace("Clean"))
    process_import(clean_id)
    clean = get_import(clean_id)
    assert (imp.total_rows, imp.successful, imp.skipped, imp.errors) == (
        clean.total_rows, clean.successful, clean.skipped, clean.errors)
    assert lead_count(workspace_id=imp.workspace_id) == imp.successful
    assert [(line, kind) for line, kind, _, _ in issues(import_id)] == [(line, kind) for line, kind, _, _ in issues(clean_id)]
    lines = db.session.execute(select(Lead.import_line).filter_by(import_id=import_id)).scalars().all()
    assert len(lines) == len(set(lines)) == imp.successful  # rows without email too: each line once


def test_a_queued_import_whose_job_redis_lost_is_recovered_when_a_worker_starts(app, run_worker, redis_url):
    import_id = create_import("email,first_name\na@example.com,Ann\n,No email\n", workspace())
    assert enqueue_job(import_id)
    redis.Redis.from_url(redis_url).flushdb()
    result = run_worker()
    assert result.returncode == 0, result.stderr
    imp = get_import(import_id)
    assert imp.status == "completed" and imp.successful == 2
    assert lead_count(workspace_id=imp.workspace_id) == 2


def test_a_running_import_with_a_fresh_heartbeat_is_left_alone(app):
    import_id = create_import("email\na@example.com\n", workspace())
    db.session.execute(update(LeadImport).filter_by(id=import_id).values(status="running", attempt=1, heartbeat_at=utcnow()))
    db.session.commit()
    assert recover_stalled_imports() == []
    assert get_import(import_id).status == "running"


def test_recovery_gives_up_after_repeated_crashes(app):
    import_id = create_import("email\na@example.com\n", workspace())
    old = utcnow() - timedelta(hours=1)
    db.session.execute(update(LeadImport).filter_by(id=import_id).values(
        status="running", attempt=MAX_ATTEMPTS, heartbeat_at=old))
    db.session.commit()
    assert recover_stalled_imports() == []
    imp = get_import(import_id)
    assert imp.status == "failed" and f"interrupted {MAX_ATTEMPTS} times" in imp.error_message


def test_a_stale_running_import_is_queued_again(app):
    import_id = create_import("email\na@example.com\n", workspace())
    db.session.execute(update(LeadImport).filter_by(id=import_id).values(
        status="running", attempt=1, heartbeat_at=utcnow() - timedelta(hours=1)))
    db.session.commit()
    assert recover_stalled_imports() == [import_id]
    assert recover_stalled_imports() == []  # its job is now waiting in the queue
    assert get_import(import_id).status == "queued"
    assert process_import(import_id)["status"] == "completed"


def test_a_killed_parser_fails_the_import_with_a_message_and_re_queue_resumes_it_exactly_once(app, tmp_path):
    """The engine's child process that parses the file dies (e.g. the kernel's OOM killer): the import
    fails with a message saying so instead of hanging, and Re-queue resumes it from its checkpoint."""
    csv_path = tmp_path / "leads.csv"
    subprocess.run([sys.executable, "bench/generate_leads.py", "--rows", "60000", "--seed", "11",
                    "--out", str(csv_path)], cwd=ROOT, check=True, timeout=120)
    data = csv_path.read_bytes()
    import_id = create_import(data, workspace("Acme"))
    app.config["IMPORT_BATCH_SIZE"] = 1000
    outcome = {}

    def run():
        with app.app_context():
            try:
                process_import(import_id)
            except Exception as error:  # the engine marks the import failed, then re-raises
                outcome["error"] = error

    importer = threading.Thread(target=run)
    importer.start()
    try:
        wait_for(lambda: get_import(import_id).processed > 0, 60, "the first commit")
        own_command = Path("/proc/self/cmdline").read_bytes()
        parsers = [pid for pid in children(os.getpid()) if Path(f"/proc/{pid}/cmdline").read_bytes() == own_command]
        assert len(parsers) == 1
        os.kill(parsers[0], signal.SIGKILL)
    finally:
        importer.join(60)
    assert type(outcome["error"]).__name__ == "ParserStopped"
    failed = get_import(import_id)
    assert failed.status == "failed" and 0 < failed.processed < failed.total_rows
    assert "stopped unexpectedly (exit code -9)" in failed.error_message
    assert "Re-queue" in failed.error_message

    assert requeue_import(import_id)
    assert process_import(import_id)["status"] == "completed"
    assert_same_as_a_clean_import(import_id, data)
