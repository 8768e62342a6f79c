"""A workbook through the engine: a crash of the native reader in the parser child (SIGSEGV) fails the
import with a message, and Re-queue resumes it from its checkpoint to exactly the leads of the sheet."""
import os
import signal
import threading

import psutil
import pytest

from leadcrm.imports.engine.process import process_import
from leadcrm.imports.jobs.control import requeue_import
from tests.support.imports import create_import, get_import, lead_count, workspace
from tests.support.servers import wait_until
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
        wait_until(lambda: get_import(import_id).processed > 0, 120, message="the first commit")
        this = psutil.Process()
        [parser] = [child for child in this.children() if child.cmdline() == this.cmdline()]
        os.kill(parser.pid, signal.SIGSEGV)  # what a fault in native code does
    finally:
        importer.join(120)
    assert type(outcome["error"]).__name__ == "ParserStopped"
    failed = get_import(import_id)
    assert (failed.status, failed.total_rows) == ("failed", ROWS) and 0 < failed.processed < ROWS
    assert "stopped unexpectedly (exit code -11)" in failed.error_message and "Re-queue" in failed.error_message

    assert requeue_import(import_id)
    assert process_import(import_id)["status"] == "completed"
    done = get_import(import_id)
    assert (done.processed, done.successful, lead_count(import_id=import_id)) == (ROWS, ROWS, ROWS)
