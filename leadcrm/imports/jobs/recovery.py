"""Find and re-queue imports whose worker died or whose job Redis lost.

Run by every import worker when it starts and every IMPORT_RECOVERY_INTERVAL seconds (worker.py).
The database decides; Redis is only asked whether a job still exists. Enqueueing twice is harmless:
the job id is deterministic per attempt (RQ refuses the second), and the claim in the engine lets
only one attempt run.
"""
from redis import RedisError
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from sqlalchemy import or_, select

from leadcrm.extensions import db, redis_connection
from leadcrm.imports import lifecycle
from leadcrm.imports.failures import gave_up_message
from leadcrm.imports.jobs.enqueue import enqueue_job, job_id_for
from leadcrm.models import LeadImport

MAX_ATTEMPTS = 5
# A job in one of these states will not run again; any other state means it will run (or is running).
_ENDED = {JobStatus.FINISHED, JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED}


def recover_stalled_imports() -> list[int]:
    """Re-queue running imports with a stale heartbeat and queued ones whose job is gone; ids re-queued."""
    before = lifecycle.stale_before()
    candidates = db.session.execute(
        select(LeadImport.id, LeadImport.status, LeadImport.attempt).where(or_(
            LeadImport.status == lifecycle.QUEUED, lifecycle.is_stale(before))).order_by(LeadImport.id)
    ).all()
    recovered = []
    for import_id, status, attempt in candidates:
        if status == lifecycle.RUNNING:
            if attempt >= MAX_ATTEMPTS:
                lifecycle.give_up(db.session, import_id, before, gave_up_message(attempt))
                db.session.commit()
                continue
            released = lifecycle.release_stale(db.session, import_id, before)
            db.session.commit()
            if not released:
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
