"""Step 5: start an import once: mark it queued in the database, then put one job on the queue."""
import secrets

from flask import current_app
from redis import RedisError
from rq.exceptions import DuplicateJobError
from sqlalchemy import update

from leadcrm.extensions import db, import_queue
from leadcrm.imports import lifecycle

# The job function by its name: run.py enqueues the next waiting imports itself (a cycle as imports). The name
# is a wire format: jobs already on the queue hold it.
RUN_IMPORT = "leadcrm.imports.jobs.run.run_import"
from leadcrm.models import LeadImport


def job_id_for(import_id: int, attempt: int) -> str:
    """Deterministic per queue, import and attempt: a second enqueue of the same attempt is refused by RQ."""
    return f"{current_app.config['IMPORT_QUEUE']}-{import_id}-{attempt}"


def import_id_of(job_id: str | None) -> int | None:
    """The import a job id of job_id_for names (also after recovery gave the import a newer job); None otherwise."""
    prefix = f"{current_app.config['IMPORT_QUEUE']}-"
    if not job_id or not job_id.startswith(prefix):
        return None
    import_id, sep, attempt = job_id[len(prefix):].partition("-")
    return int(import_id) if sep and import_id.isdigit() and attempt.isdigit() else None


def start_import(import_id: int, mapping: dict, defaults: dict, choices: dict) -> bool:
    """Freeze the mapping and queue the import; False if it had already been started (double click, reload)."""
    started = lifecycle.start(db.session, import_id, mapping, defaults, choices)
    db.session.commit()
    if started:
        enqueue_job(import_id)
    return started


def start_check(import_id: int, mapping: dict, defaults: dict, choices: dict, queue: bool = True) -> int | None:
    """A check of the waiting import's whole file with this mapping, on the queue unless the caller runs
    it; the check's id, None if the import has started."""
    check = lifecycle.start_check(db.session, import_id, mapping, defaults, choices)
    db.session.commit()
    if check is None:
        return None
    if queue:
        enqueue_job(check.id)
    return check.id


def enqueue_job(import_id: int, fresh: bool = False) -> str | None:
    """Put the import's job on the queue; None when Redis is unreachable (recovery enqueues it later).
    fresh: a job id of its own (suffixed), when the attempt's job has run but the import still waits."""
    attempt = db.session.scalar(db.select(LeadImport.attempt).filter_by(id=import_id))
    job_id = job_id_for(import_id, attempt) + (f"-{secrets.token_hex(4)}" if fresh else "")
    try:
        import_queue().enqueue(
            RUN_IMPORT,
            import_id,
            job_id=job_id,
            unique=True,
            job_timeout=current_app.config["IMPORT_JOB_TIMEOUT"],
            result_ttl=24 * 3600,
            failure_ttl=7 * 24 * 3600,
        )
    except DuplicateJobError:
        pass
    except RedisError:
        current_app.logger.warning("import %s queued but Redis is unreachable; recovery will enqueue it", import_id)
        return None
    db.session.execute(update(LeadImport).where(LeadImport.id == import_id).values(rq_job_id=job_id))
    db.session.commit()
    return job_id
