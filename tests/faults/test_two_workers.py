"""Two workers on two imports into the same workspace with overlapping emails: no duplicate lead, and
each import's figures add up."""
from tests.faults.conftest import (
    assert_adds_up,
    lead_counts,
    queue_import,
    wait_for_import,
    wait_for_workers,
)
from tests.support.csvfiles import big_emails, big_no_email_rows, write_big_csv

ROWS = 20_000


def test_two_workers_two_overlapping_imports(app, user, workers, tmp_path):
    first_file, second_file = tmp_path / "first.csv", tmp_path / "second.csv"
    first_expected = write_big_csv(first_file, ROWS, start=0)
    second_expected = write_big_csv(second_file, ROWS, start=ROWS // 2)  # its first half repeats the first file
    workers.start(IMPORT_BATCH_SIZE="500")
    workers.start(IMPORT_BATCH_SIZE="500")
    wait_for_workers(app, 2)
    ws, uid = user["workspace_id"], user["id"]
    first_id = queue_import(app, ws, uid, first_file)
    second_id = queue_import(app, ws, uid, second_file)

    states = {}
    for import_id, expected in ((first_id, first_expected), (second_id, second_expected)):
        state = wait_for_import(app, import_id, lambda s: s["status"] in ("completed", "failed"), 180, "completion",
                                details=workers.problems)
        assert state["status"] == "completed", (state["error_message"], workers.logs())
        assert_adds_up(state)
        assert state["total_rows"] == state["processed"] == expected.total
        assert state["errors"] == expected.errors
        states[import_id] = state
    assert max(s["started_at"] for s in states.values()) < min(s["finished_at"] for s in states.values()), \
        "the two imports did not run at the same time"

    first_emails, second_emails = big_emails(ROWS, start=0), big_emails(ROWS, start=ROWS // 2)
    overlap = len(first_emails & second_emails)
    without_email = big_no_email_rows(ROWS, 0) + big_no_email_rows(ROWS, ROWS // 2)
    counts = lead_counts(app, ws)
    assert counts["with_email"] == counts["distinct_emails"] == len(first_emails | second_emails)
    assert counts["total"] == len(first_emails | second_emails) + without_email
    successful = sum(s["successful"] for s in states.values())
    skipped = sum(s["skipped"] for s in states.values())
    assert successful == counts["total"] == first_expected.successful + second_expected.successful - overlap
    assert skipped == first_expected.skipped + second_expected.skipped + overlap
    assert counts["per_import"] == {i: s["successful"] for i, s in states.items()}
    assert counts["repeated_lines"] == []
