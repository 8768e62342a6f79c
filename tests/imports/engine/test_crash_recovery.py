"""Exactly once through crashes: a worker killed with SIGKILL in the middle of a large import, and the
engine's parser process killed, each end with exactly the leads of a clean import (real workers)."""
import signal
import subprocess
import sys

import pytest
from sqlalchemy import select

from leadcrm.extensions import db
from leadcrm.imports.engine.process import process_import
from leadcrm.imports.jobs.control import requeue_import
from leadcrm.imports.jobs.enqueue import enqueue_job
from leadcrm.models import Lead
from tests.conftest import ROOT
from tests.support.imports import (
    assert_counts_add_up,
    create_import,
    get_import,
    issues,
    kill_the_parser_mid_import,
    lead_count,
    workspace,
)
from tests.support.servers import wait_until


@pytest.fixture(autouse=True)
def app_context(app):
    with app.app_context():
        yield


def test_a_killed_worker_is_replaced_and_the_import_ends_exactly_once(app, workers, tmp_path):
    csv_path = tmp_path / "leads.csv"
    subprocess.run([sys.executable, "bench/generate_leads.py", "--rows", "150000", "--seed", "7",
                    "--out", str(csv_path)], cwd=ROOT, check=True, timeout=120)
    data = csv_path.read_bytes()
    import_id = create_import(data, workspace("Acme"))
    assert enqueue_job(import_id)
    first = workers.start(IMPORT_BATCH_SIZE="2000")
    wait_until(lambda: get_import(import_id).processed > 0, 120, message="the first batch")
    workers.kill_group(first, signal.SIGKILL)
    killed = get_import(import_id)
    assert killed.status == "running" and killed.processed < killed.total_rows

    second = workers.start(IMPORT_BATCH_SIZE="2000", IMPORT_STALE_SECONDS="3", IMPORT_RECOVERY_INTERVAL="2")
    wait_until(lambda: get_import(import_id).status in ("completed", "failed"), 300, message="the resumed import")
    workers.kill_group(second, signal.SIGTERM)
    imp = get_import(import_id)
    assert imp.status == "completed" and imp.attempt >= 2, workers.logs()
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


def test_a_killed_parser_fails_the_import_with_a_message_and_re_queue_resumes_it_exactly_once(app, tmp_path):
    """The engine's child process that parses the file dies (e.g. the kernel's OOM killer): the import
    fails with a message saying so instead of hanging, and Re-queue resumes it from its checkpoint."""
    csv_path = tmp_path / "leads.csv"
    subprocess.run([sys.executable, "bench/generate_leads.py", "--rows", "60000", "--seed", "11",
                    "--out", str(csv_path)], cwd=ROOT, check=True, timeout=120)
    data = csv_path.read_bytes()
    import_id = create_import(data, workspace("Acme"))
    app.config["IMPORT_BATCH_SIZE"] = 1000
    error = kill_the_parser_mid_import(app, import_id, signal.SIGKILL, 60)
    assert type(error).__name__ == "ParserStopped"
    failed = get_import(import_id)
    assert failed.status == "failed" and 0 < failed.processed < failed.total_rows
    assert "stopped unexpectedly (exit code -9)" in failed.error_message
    assert "Re-queue" in failed.error_message

    assert requeue_import(import_id)
    assert process_import(import_id)["status"] == "completed"
    assert_same_as_a_clean_import(import_id, data)
