"""SIGKILL the worker in the middle of an import and start none: the import's page, its history row and
System Health say plainly what happened, and no time left is shown."""
import re
import signal

from tests.faults.conftest import import_state, queue_import, wait_for_import, wait_for_workers
from tests.support.csvfiles import write_big_csv

HX = {"HX-Request": "true"}
STOPPED = ("The worker processing this import stopped.\n"
           "  It will resume from row {row} by itself as soon as a worker is free.")


def test_a_killed_worker_leaves_an_import_whose_pages_say_it_stopped(app, user, auth_client, admin_client,
                                                                      workers, tmp_path):
    # The workers of this test take a heartbeat older than 3 s as stale; the web app judges the same way.
    app.config["IMPORT_STALE_SECONDS"] = 3
    path = tmp_path / "large.csv"
    write_big_csv(path, 200_000)
    worker = workers.start(IMPORT_BATCH_SIZE="1000")
    wait_for_workers(app, 1)
    import_id = queue_import(app, user["workspace_id"], user["id"], path)
    wait_for_import(app, import_id, lambda s: s["status"] == "running" and s["processed"] >= 5000, 120,
                    "progress past 5,000 rows", details=workers.problems)
    workers.kill_group(worker, signal.SIGKILL)
    # With no worker left, nothing re-queues it: it stays running with a heartbeat that only gets older.
    state = wait_for_import(app, import_id, lambda s: s["status"] == "running" and _stale(app, s["heartbeat_at"]),
                            30, "a stale heartbeat")
    checkpoint = state["checkpoint_rows"]

    sentence = STOPPED.format(row=f"{checkpoint + 1:,}")
    fragment = auth_client.get(f"/imports/{import_id}/progress", headers=HX).get_data(as_text=True)
    assert sentence in fragment
    assert "rows per second" not in fragment and "left</span>" not in fragment
    assert sentence in auth_client.get(f"/imports/{import_id}").get_data(as_text=True)
    history = auth_client.get("/imports/").get_data(as_text=True)
    row = re.search(rf'<tr id="import-{import_id}-row".*?</tr>', history, re.S).group(0)
    assert sentence in row

    health = admin_client.get("/system-health").get_data(as_text=True)
    worker_row = re.search(r'<tr data-worker="[^"]+">.*?</tr>', health, re.S).group(0)
    assert '<td data-worker-state><span class="error">not responding</span></td>' in worker_row
    assert f"<td data-worker-import>Import #{import_id}</td>" in worker_row
    assert re.search(r"<td data-worker-heartbeat>\d+ s ago</td>", worker_row), worker_row


def _stale(app, heartbeat_at) -> bool:
    from leadcrm.models import utcnow

    return (utcnow() - heartbeat_at).total_seconds() > app.config["IMPORT_STALE_SECONDS"]
