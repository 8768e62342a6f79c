"""Workers as on several machines, with real `python worker.py` processes: no shared upload folder (the web
app and each worker have an instance folder of their own), UPLOAD_STORAGE=database; an import started in the
web completes in a worker, and a worker SIGKILLed mid-import is resumed by the other exactly once. And the
fair share with two real workers: workspace A queues five imports, then B one; B's starts before A's third."""
import signal
import subprocess
import sys

import pytest
from sqlalchemy import func, select

from leadcrm.extensions import db
from leadcrm.imports.engine.process import process_import
from leadcrm.imports.jobs.enqueue import enqueue_job
from leadcrm.models import Lead, StoredUpload
from tests.conftest import ROOT
from tests.support.imports import create_import, get_import, issues, workspace
from tests.support.servers import wait_until
from tests.support.wizard import import_file

FIGURES = ("total_rows", "processed", "successful", "skipped", "errors")


@pytest.fixture
def app_config(app_config, tmp_path):
    """The web app's machine: its own instance and upload folder, uploads in the database."""
    web = tmp_path / "web"
    return {**app_config, "UPLOAD_STORAGE": "database", "INSTANCE_PATH": str(web), "UPLOAD_FOLDER": str(web / "uploads")}


def machine(tmp_path, name: str, **settings) -> dict:
    """The environment of a worker on a machine of its own."""
    folder = tmp_path / name
    return {"UPLOAD_STORAGE": "database", "INSTANCE_PATH": str(folder), "UPLOAD_FOLDER": str(folder / "uploads"),
            **settings}


def generated(tmp_path, rows: int) -> bytes:
    path = tmp_path / "generated.csv"
    subprocess.run([sys.executable, "bench/generate_leads.py", "--rows", str(rows), "--seed", "7", "--out", str(path)],
                   cwd=ROOT, check=True, timeout=120)
    return path.read_bytes()


def files_in(folder) -> list:
    return sorted(path.name for path in folder.rglob("*") if path.is_file()) if folder.exists() else []


def test_an_import_started_in_the_web_is_resumed_on_another_machine_exactly_once(
        app, auth_client, other_client, workers, tmp_path):
    data = generated(tmp_path, 30_000)
    import_id = import_file(auth_client, "leads.csv", data)
    first = workers.start(**machine(tmp_path, "one", IMPORT_BATCH_SIZE="500"))
    with app.app_context():
        wait_until(lambda: get_import(import_id).processed > 0, 120, message="the first batch")
        workers.kill_group(first, signal.SIGKILL)
        killed = get_import(import_id)
        assert killed.status == "running" and 0 < killed.processed < killed.total_rows, workers.logs()
        second = workers.start(**machine(tmp_path, "two", IMPORT_BATCH_SIZE="500", IMPORT_STALE_SECONDS="3",
                                         IMPORT_RECOVERY_INTERVAL="2"))
        wait_until(lambda: get_import(import_id).status in ("completed", "failed"), 300, message="the resumed import")
        resumed = get_import(import_id)
        assert (resumed.status, resumed.attempt) == ("completed", 2), workers.logs()
        # The job removes the file after it has committed the import's end: stopping the worker sooner would cut that.
        wait_until(lambda: not db.session.scalar(select(func.count()).select_from(StoredUpload)
                                                 .filter_by(name=resumed.stored_name)), 30,
                   message="the job to remove the import's file")
        workers.kill_group(second, signal.SIGTERM)

        # The same file started in another workspace and run here, as a clean reference.
        reference_id = import_file(other_client, "leads.csv", data)
        assert process_import(reference_id)["status"] == "completed"
        reference = get_import(reference_id)
        assert [getattr(resumed, f) for f in FIGURES] == [getattr(reference, f) for f in FIGURES]
        assert issues(import_id) == issues(reference_id)
        # Rows without an email have no unique key: a row imported twice would be a second lead.
        leads = db.session.scalar(select(func.count()).select_from(Lead).filter_by(import_id=import_id))
        assert leads == resumed.successful == reference.successful
        assert db.session.scalar(select(func.count()).select_from(StoredUpload)) == 0, "both files removed once done"
    for name in ("web", "one", "two"):
        assert [f for f in files_in(tmp_path / name / "uploads")] == [], f"no upload in {name}'s folder"


def test_two_workers_share_themselves_fairly_between_workspaces(app, workers, tmp_path):
    data = generated(tmp_path, 8_000)
    with app.app_context():
        a, b = workspace("A"), workspace("B")
        a_imports = [create_import(data, a) for _ in range(5)]
        b_import = create_import(data, b)
        for import_id in (*a_imports, b_import):
            assert enqueue_job(import_id)
        for name in ("one", "two"):
            workers.start(**machine(tmp_path, name, IMPORT_BATCH_SIZE="500"))
        every = (*a_imports, b_import)
        wait_until(lambda: {get_import(i).status for i in every} == {"completed"}, 600, message="all six imports")
        started = {i: get_import(i).started_at for i in every}
        a_started_before_b = [i for i in a_imports if started[i] < started[b_import]]
        timeline = sorted((started[i], "B" if i == b_import else f"A{a_imports.index(i) + 1}") for i in every)
        assert len(a_started_before_b) <= 2, f"B's import starts as soon as a worker is free: {timeline}"
        # Never more than two of A's at once: at each start of one of A's, at most two of A's are running.
        spans = [(get_import(i).started_at, get_import(i).finished_at) for i in a_imports]
        for start, _ in spans:
            assert sum(1 for s, f in spans if s <= start < f) <= 2
        assert all(get_import(i).attempt == 1 for i in every), "none ran twice"
