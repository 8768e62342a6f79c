"""Restart Redis (it keeps nothing) while one import is queued and one is running: both complete once a
worker runs again, with exactly the expected leads."""
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
# A Redis server of this test alone: it gets killed and replaced by an empty one.
from tests.support.servers import app_config_on_own_redis, own_redis  # noqa: F401


def test_redis_restart_with_one_import_queued_and_one_running(app, user, workers, own_redis, tmp_path):
    running_file, queued_file = tmp_path / "running.csv", tmp_path / "queued.csv"
    running_expected = write_big_csv(running_file, 200_000, email_prefix="running")
    queued_expected = write_big_csv(queued_file, 5_000, email_prefix="queued")
    workers.start(IMPORT_BATCH_SIZE="1000")
    wait_for_workers(app, 1)
    ws, uid = user["workspace_id"], user["id"]

    running_id = queue_import(app, ws, uid, running_file)
    wait_for_import(app, running_id, lambda s: s["status"] == "running" and s["processed"] > 0, 120, "progress",
                    details=workers.problems)
    queued_id = queue_import(app, ws, uid, queued_file)
    assert import_state(app, queued_id)["status"] == "queued"

    own_redis.restart()
    assert import_state(app, running_id)["status"] == "running", "restarted too late: use a larger file"
    workers.start(IMPORT_BATCH_SIZE="1000")  # a worker runs again (the first may or may not have survived)

    results = {}
    for import_id, expected in ((running_id, running_expected), (queued_id, queued_expected)):
        state = wait_for_import(app, import_id, lambda s: s["status"] in ("completed", "failed"), 180,
                                "completion after the Redis restart", details=workers.problems)
        assert state["status"] == "completed", (state["error_message"], workers.logs())
        assert figures(state) == expected.figures()
        assert_adds_up(state)
        results[import_id] = state
    counts = lead_counts(app, ws)
    assert counts["per_import"] == {running_id: running_expected.successful, queued_id: queued_expected.successful}
    assert counts["with_email"] == counts["distinct_emails"]
    assert counts["repeated_lines"] == []
