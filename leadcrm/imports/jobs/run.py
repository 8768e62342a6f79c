"""The queue's job: run_import(import_id). A job is a free worker's turn rather than an order to run one
import: it runs the queued import that is fairest to start now (fairness.py), which is its own unless
another workspace has fewer imports running. A job that can start nothing (every queued import's workspace
is at its limit) ends at once, so a waiting import never holds a worker.

When its import ends, the job hands the freed place over: the waiting imports without a job get one
(recovery.enqueue_waiting). If the worker dies before that, the next recovery round does it, so no import
is left waiting with nobody to start it.
"""
from rq import get_current_job

from leadcrm.imports.engine.process import process_import
from leadcrm.imports.jobs import fairness
from leadcrm.imports.jobs.recovery import enqueue_waiting


def run_import(import_id: int) -> dict:
    """Run the fairest import that may start now (its own when it is fair), then hand the place over."""
    job = get_current_job()
    job_id = job.id if job else None
    # Its own import last: a running one with a stale heartbeat is claimed again by its own job.
    candidates = [*fairness.fair_order(), import_id]
    result = {"import_id": import_id, "status": "waiting"}
    try:
        for candidate in dict.fromkeys(candidates):
            ran = process_import(candidate, limit=fairness.limit(), job_id=job_id)
            if ran["status"] != "not claimed":
                result = ran
                break
    finally:
        enqueue_waiting(job_id)
    return result
