"""A workbook through the engine: a crash of the native reader in the parser child (SIGSEGV) fails the
import with a message, and Re-queue resumes it from its checkpoint to exactly the leads of the sheet."""
import signal

import pytest

from leadcrm.imports.engine.process import process_import
from leadcrm.imports.jobs.control import requeue_import
from tests.support.imports import create_import, get_import, kill_the_parser_mid_import, lead_count, workspace
from tests.support.workbooks import save, with_shared_strings, workbook

HEADER = ["First Name", "Email", "Phone"]
ROWS = 20_000


@pytest.fixture(autouse=True)
def app_context(app):
    with app.app_context():
        yield


def test_a_crash_of_the_reader_fails_the_import_and_re_queue_resumes_it_exactly_once(app, tmp_path):
    rows = [HEADER] + [[f"P{i}", f"p{i}@example.com", 4155550000 + i] for i in range(ROWS)]
    data = with_shared_strings(save(workbook({"Leads": rows}), tmp_path / "big.xlsx")).read_bytes()
    import_id = create_import(data, workspace("Acme"), header=HEADER, sheet="Leads")
    app.config["IMPORT_BATCH_SIZE"] = 500
    error = kill_the_parser_mid_import(app, import_id, signal.SIGSEGV, 120)  # what a fault in native code does
    assert type(error).__name__ == "ParserStopped"
    failed = get_import(import_id)
    assert (failed.status, failed.total_rows) == ("failed", ROWS) and 0 < failed.processed < ROWS
    assert "stopped unexpectedly (exit code -11)" in failed.error_message and "Re-queue" in failed.error_message

    assert requeue_import(import_id)
    assert process_import(import_id)["status"] == "completed"
    done = get_import(import_id)
    assert (done.processed, done.successful, lead_count(import_id=import_id)) == (ROWS, ROWS, ROWS)
