"""A person's actions on a queued import (jobs/control.py): cancel, and re-queue of a stuck one, with the
jobs it leaves on the real queue; a re-queued failed import resumes from its checkpoint in a real worker."""
from datetime import timedelta

import pytest

from leadcrm.extensions import import_queue
from leadcrm.imports.jobs.control import cancel_import, requeue_import
from leadcrm.imports.jobs.enqueue import job_id_for
from leadcrm.models import utcnow
from tests.support.factories import make_import
from tests.support.imports import create_import, get_import, leads, workspace

STALE, FRESH = timedelta(hours=1), timedelta(seconds=1)


@pytest.fixture(autouse=True)
def app_context(app):
    with app.app_context():
        yield


@pytest.mark.parametrize("status, asked, after", [
    ("queued", True, "cancelled"), ("running", True, "running"),
    ("uploaded", False, "uploaded"), ("completed", False, "completed"), ("failed", False, "failed"),
    ("cancelled", False, "cancelled"),
])
def test_cancel(status, asked, after):
    import_id = make_import(workspace(), status=status, finished_at=None, heartbeat_at=utcnow())
    assert cancel_import(import_id) is asked
    imp = get_import(import_id)
    assert (imp.status, imp.cancel_requested) == (after, asked)
    assert (imp.finished_at is not None) == (status == "queued"), "only a queued import ends at once"


@pytest.mark.parametrize("status, heartbeat_age, requeued", [
    ("running", STALE, True),  # its worker died
    ("failed", FRESH, True),
    ("queued", FRESH, True),  # its job was lost
    ("running", FRESH, False),  # its worker is alive
    ("uploaded", STALE, False), ("completed", STALE, False), ("cancelled", STALE, False),
])
def test_requeue_puts_a_stuck_import_back_on_the_queue(queue, status, heartbeat_age, requeued):
    import_id = make_import(workspace(), status=status, attempt=2, heartbeat_at=utcnow() - heartbeat_age,
                            error_message="The database refused the import.", checkpoint_rows=4, processed=4)
    assert requeue_import(import_id) is requeued
    imp = get_import(import_id)
    assert (imp.status, imp.checkpoint_rows, imp.attempt) == ("queued" if requeued else status, 4, 2)
    assert import_queue().job_ids == ([job_id_for(import_id, 2)] if requeued else [])
    assert (imp.rq_job_id == job_id_for(import_id, 2)) == requeued
    if status == "failed":
        assert (imp.error_message, imp.finished_at) == (None, None)


def test_a_requeued_failed_import_resumes_from_its_checkpoint(run_worker):
    text = "email,first_name\n" + "".join(f"p{n}@example.com,P{n}\n" for n in range(2, 7))
    # Two rows were committed before it failed (their leads are gone here, so a restart would show).
    import_id = create_import(text, workspace(), status="failed", attempt=1, checkpoint_rows=2, total_rows=5,
                              processed=2, successful=2, error_message="The database refused the import.")
    assert requeue_import(import_id)
    result = run_worker()
    assert result.returncode == 0, result.stderr
    imp = get_import(import_id)
    assert (imp.status, imp.attempt, imp.processed, imp.successful, imp.checkpoint_rows) == ("completed", 2, 5, 5, 5)
    assert [lead.import_line for lead in leads(imp.workspace_id)] == [4, 5, 6]
