"""Find and re-queue imports whose worker died or whose job Redis lost, and give waiting imports a job
when their workspace has room.

Run by every import worker when it starts and every IMPORT_RECOVERY_INTERVAL seconds (worker.py), and
enqueue_waiting() by every job when its import ends (run.py). The database decides; Redis is only asked
whether a job still exists. Enqueueing twice is harmless: the claim in the engine lets only one attempt run.
"""
from collections import defaultdict

from redis import RedisError
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from sqlalchemy import select

from leadcrm.extensions import db, redis_connection
from leadcrm.imports import lifecycle
from leadcrm.imports.failures import gave_up_message
from leadcrm.imports.jobs import fairness
from leadcrm.imports.jobs.enqueue import enqueue_job, job_id_for
from leadcrm.models import LeadImport

MAX_ATTEMPTS = 5
# A job in one of these states will not run again; any other state means it will run (or is running).
_ENDED = {JobStatus.FINISHED, JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED}


def recover_stalled_imports() -> list[int]:
    """Put running imports with a stale heartbeat back in the queue (or fail them after MAX_ATTEMPTS),
    then give queued imports without a job one; the ids enqueued."""
    before = lifecycle.stale_before()
    stale = db.session.execute(select(LeadImport.id, LeadImport.attempt)
                               .where(lifecycle.is_stale(before)).order_by(LeadImport.id)).all()
    for import_id, attempt in stale:
        if attempt >= MAX_ATTEMPTS:
            lifecycle.give_up(db.session, import_id, before, gave_up_message(attempt))
        else:
            lifecycle.release_stale(db.session, import_id, before)  # False: its worker came back to life
        db.session.commit()
    return enqueue_waiting()


def enqueue_waiting(current_job_id: str | None = None) -> list[int]:
    """Give a job to each queued import that has none and whose workspace has room for it (up to
    IMPORTS_PER_WORKSPACE running or about to), longest queued first; the ids enqueued.
    current_job_id: the job calling this, which has done its run (it is still 'started' in Redis)."""
    room = defaultdict(fairness.limit)
    for workspace_id, running in fairness.running_per_workspace().items():
        room[workspace_id] -= running
    enqueued = []
    for imp in fairness.queued():
        if room[imp.workspace_id] <= 0:
            continue  # it waits: a job that ends in its workspace comes back here
        room[imp.workspace_id] -= 1
        known = _job_of(imp, current_job_id)
        try:
            if known is not None and _job_alive(known):
                continue
        except RedisError:
            break  # Redis is down: the next round will do it
        # The attempt's own job id when it is free again; otherwise (the calling job holds it) one of its own.
        if enqueue_job(imp.id, fresh=known != job_id_for(imp.id, imp.attempt)):
            enqueued.append(imp.id)
    db.session.commit()
    return enqueued


def _job_of(imp: fairness.Queued, current_job_id: str | None) -> str | None:
    """The job that may still run the import's current attempt: the one it was last given if it is of this
    attempt (one of an earlier attempt belongs to a worker presumed dead), else the attempt's own id; None
    when that is the calling job, which has done its run."""
    if current_job_id is not None and imp.rq_job_id == current_job_id:
        return None
    attempt_job = job_id_for(imp.id, imp.attempt)
    if imp.rq_job_id and imp.rq_job_id.startswith(attempt_job + "-"):
        return imp.rq_job_id
    return attempt_job


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
