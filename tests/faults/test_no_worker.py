"""Stop every worker: the progress page says what it means for the import, System Health that no worker runs."""
import signal

from tests.faults.conftest import import_state, queue_import, wait_for_workers
from tests.support.csvfiles import write_big_csv

NO_WORKER = "No worker is running"
WAITING = ("This import is waiting: the importer is not running right now.\n"
           "    It starts by itself as soon as the importer runs again; nothing is lost meanwhile.")


def test_no_worker_running_is_said_plainly(app, user, auth_client, admin_client, workers, tmp_path):
    worker = workers.start()
    wait_for_workers(app, 1)
    assert NO_WORKER not in admin_client.get("/system-health").get_data(as_text=True)
    workers.kill_group(worker, signal.SIGTERM)  # a warm shutdown: the worker leaves the registry
    wait_for_workers(app, 0)

    path = tmp_path / "waiting.csv"
    write_big_csv(path, 100)
    import_id = queue_import(app, user["workspace_id"], user["id"], path)
    assert import_state(app, import_id)["status"] == "queued"
    page = auth_client.get(f"/imports/{import_id}").get_data(as_text=True)
    assert WAITING in page and NO_WORKER not in page
    fragment = auth_client.get(f"/imports/{import_id}/progress", headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and WAITING in fragment.get_data(as_text=True)
    health = admin_client.get("/system-health")
    assert health.status_code == 200 and NO_WORKER in health.get_data(as_text=True)
    assert "worker.py" in health.get_data(as_text=True), "System Health says what to run to start one"
