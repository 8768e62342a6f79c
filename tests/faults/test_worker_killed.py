"""Kill the worker's whole process group with SIGKILL in the middle of a large import, start a new worker:
the import completes on its own with exactly the expected leads (none lost, none twice)."""
import signal

from tests.faults.conftest import (
    assert_adds_up,
    figures,
    import_state,
    lead_counts,
    queue_import,
    wait_for_import,
    wait_for_workers,
)
from tests.support.csvfiles import write_big_csv


def test_a_killed_worker_group_resumes_from_its_checkpoint_exactly_once(app, user, workers, tmp_path):
    path = tmp_path / "large.csv"
    expected = write_big_csv(path, 200_000)
    first = workers.start(IMPORT_BATCH_SIZE="1000")
    wait_for_workers(app, 1)
    import_id = queue_import(app, user["workspace_id"], user["id"], path)
    wait_for_import(app, import_id, lambda s: s["status"] == "running" and s["processed"] >= 5000, 120,
                    "progress past 5,000 rows", details=workers.problems)

    workers.kill_group(first, signal.SIGKILL)
    at_kill = import_state(app, import_id)
    assert at_kill["status"] == "running", "killed too late: use a larger file"
    assert at_kill["processed"] < expected.total
    assert_adds_up(at_kill)

    workers.start(IMPORT_BATCH_SIZE="1000")
    state = wait_for_import(app, import_id, lambda s: s["status"] in ("completed", "failed"), 180,
                            "completion after the new worker started", details=workers.problems)
    assert state["status"] == "completed", (state["error_message"], workers.logs())
    assert figures(state) == expected.figures()
    assert state["attempt"] >= 2
    counts = lead_counts(app, user["workspace_id"])
    assert counts["total"] == counts["per_import"][import_id] == expected.successful
    assert counts["with_email"] == counts["distinct_emails"]
    assert counts["repeated_lines"] == []
