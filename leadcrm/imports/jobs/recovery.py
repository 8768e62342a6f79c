"""Find and re-queue imports whose worker died or whose job Redis lost.

Run by every import worker when it starts and every IMPORT_RECOVERY_INTERVAL seconds (worker.py).
The database decides; Redis is only asked whether a job still exists. Enqueueing twice is harmless:
the job id is deterministic per attempt (RQ refuses the second), and the claim in the engine lets
only one attempt run.
"""
from datetime import timedelta

from flask import current_app
from redis import RedisError
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from sqlalchemy import or_, select, update

from leadcrm.extensions import db, redis_connection
from leadcrm.imports.jobs.control import is_stale, release_if_stale
from leadcrm.imports.jobs.enqueue import enqueue_job, job_id_for
from leadcrm.models import LeadImport, utcnow

MAX_ATTEMPTS = 5
# A job in one of these states will not run again; any other state means it will run (or is running).
_ENDED = {JobStatus.FINISHED, JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED}


def recover_stalled_imports() -> list[int]:
    """Re-queue running imports with a stale heartbeat and queued ones whose job is gone; ids re-queued."""
    stale_before = utcnow() - timedelta(seconds=current_app.config["IMPORT_STALE_SECONDS"])
    candidates = db.session.execute(
        select(LeadImport.id, LeadImport.status, LeadImport.attempt).where(or_(
            LeadImport.status == "queued", is_stale(stale_before))).order_by(LeadImport.id)
    ).all()
    recovered = []
    for import_id, status, attempt in candidates:
        if status == "running" and attempt >= MAX_ATTEMPTS:
            _give_up(import_id, attempt, stale_before)
            continue
        if status == "running" and not release_if_stale(import_id, stale_before):
            continue  # its worker came back to life (or it ended) meanwhile
        try:
            if _job_alive(job_id_for(import_id, attempt)):
                continue
        except RedisError:
            return recovered  # Redis is down: the next round will do it
        if enqueue_job(import_id):
            recovered.append(import_id)
    db.session.commit()
    return recovered


def _give_up(import_id: int, attempt: int, stale_before) -> None:
    db.session.execute(
        update(LeadImport)
        .where(LeadImport.id == import_id, is_stale(stale_before))
        .values(status="failed", finished_at=utcnow(), error_message=(
            f"The import was interrupted {attempt} times (its worker stopped or was killed each time), "
            "so it was not started again. The rows imported so far are kept. Check the worker's memory "
            "and logs, then re-queue it from System Health: it resumes from its last checkpoint."))
    )
    db.session.commit()


def _job_alive(job_id: str) -> bool:
    """Whether the job will still run; a finished, failed or stopped one is deleted so it can be
    enqueued again under the same id."""
    try:
        job = Job.fetch(job_id, connection=redis_connection())
    except NoSuchJobError:
        return False
    if job.get_status(refresh=False) not in _ENDED:
        return True
    job.delete()
    return False
