"""Health checks: database, Redis, RQ workers, the import queue and imports that look stuck."""
from dataclasses import dataclass
from datetime import datetime, timezone

from flask import current_app

from redis import RedisError
from rq import Worker
from rq.exceptions import NoSuchJobError
from rq.job import Job
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from ..extensions import db, import_queue, redis_connection
from ..imports import lifecycle
from ..imports.jobs.enqueue import import_id_of
from ..models import LeadImport, Workspace


NOT_RESPONDING = "not responding"


@dataclass
class Check:
    ok: bool
    version: str = ""
    error: str = ""


@dataclass
class WorkerInfo:
    name: str
    hostname: str
    state: str  # RQ's (idle, busy …), or "not responding"
    job_id: str | None
    import_id: int | None
    heartbeat_age_seconds: float | None


@dataclass
class QueueInfo:
    length: int
    oldest_age_seconds: float | None
    failed: int


def database() -> Check:
    """Reachable, and which server version."""
    try:
        if db.engine.dialect.name == "postgresql":
            version = db.session.scalar(text("SHOW server_version"))
        else:
            version = db.session.scalar(text("SELECT sqlite_version()"))
    except SQLAlchemyError as error:
        db.session.rollback()
        return Check(False, error=_describe(error))
    return Check(True, f"{db.engine.dialect.name} {version}")


def redis() -> Check:
    """Reachable, and which server version."""
    try:
        version = redis_connection().info("server")["redis_version"]
    except RedisError as error:
        return Check(False, error=_describe(error))
    return Check(True, f"Redis {version}")


def workers() -> list[WorkerInfo]:
    """The registered workers of the import queue, with the import each one holds. A killed worker stays
    registered (as "busy") until its key expires: one whose heartbeat is older than IMPORT_STALE_SECONDS
    does not respond, whatever it last said."""
    now = datetime.now(timezone.utc)
    found = []
    for worker in Worker.all(queue=import_queue()):
        job_id = worker.get_current_job_id()
        age = (now - worker.last_heartbeat).total_seconds() if worker.last_heartbeat else None
        responding = age is not None and age <= current_app.config["IMPORT_STALE_SECONDS"]
        state = worker.get_state() if responding else NOT_RESPONDING
        found.append(WorkerInfo(worker.name, worker.hostname or "", state, job_id, import_id_of(job_id), age))
    return sorted(found, key=lambda w: w.name)


def worker_count() -> int:
    return Worker.count(queue=import_queue())


def queue() -> QueueInfo:
    """Jobs waiting, how long the oldest has waited, and failed jobs kept by RQ."""
    q = import_queue()
    oldest = None
    # RQ appends at the tail and takes from the head: the head is the oldest waiting job.
    for job_id in q.get_job_ids(0, 1):
        try:
            job = Job.fetch(job_id, connection=q.connection)
        except NoSuchJobError:
            continue
        if job.enqueued_at is not None:
            oldest = (datetime.now(job.enqueued_at.tzinfo) - job.enqueued_at).total_seconds()
    return QueueInfo(q.count, oldest, q.failed_job_registry.count)


def stuck_imports(worker_count: int) -> list[LeadImport]:
    """Running imports whose heartbeat is stale, failed ones (they can resume), and queued ones when no
    worker is there to take them."""
    condition = db.or_(lifecycle.is_stale(lifecycle.stale_before()), LeadImport.status == lifecycle.FAILED)
    if worker_count == 0:
        condition = db.or_(condition, LeadImport.status == lifecycle.QUEUED)
    return db.session.scalars(
        db.select(LeadImport).where(condition).options(db.joinedload(LeadImport.workspace)).order_by(LeadImport.id)
    ).all()


@dataclass
class WorkspaceImports:
    workspace: str
    running: int
    waiting: int  # queued: for a worker, or for its workspace's running imports (IMPORTS_PER_WORKSPACE)


def imports_per_workspace() -> list[WorkspaceImports]:
    """Each workspace with imports running or queued, and how many of each."""
    counts: dict[str, WorkspaceImports] = {}
    rows = db.session.execute(
        db.select(Workspace.name, LeadImport.status, db.func.count())
        .join(Workspace, Workspace.id == LeadImport.workspace_id)
        .where(LeadImport.status.in_((lifecycle.RUNNING, lifecycle.QUEUED)))
        .group_by(Workspace.name, LeadImport.status)
    ).all()
    for name, status, count in rows:
        entry = counts.setdefault(name, WorkspaceImports(name, 0, 0))
        if status == lifecycle.RUNNING:
            entry.running = count
        else:
            entry.waiting = count
    return sorted(counts.values(), key=lambda entry: (-entry.running, -entry.waiting, entry.workspace))


def workers_per_host(workers: list[WorkerInfo]) -> dict[str, list[WorkerInfo]]:
    """The live workers grouped by the machine they run on."""
    hosts: dict[str, list[WorkerInfo]] = {}
    for worker in workers:
        hosts.setdefault(worker.hostname or "unknown host", []).append(worker)
    return dict(sorted(hosts.items()))


def _import_of(job_id: str | None) -> int | None:
    if job_id is None:
        return None
    # A job runs the fairest import, which it claims with its id; the import it was queued for may wait.
    # A dead worker's import may have had a new job since (recovery): the old job's id still names it.
    running = db.session.scalar(db.select(LeadImport.id).filter_by(rq_job_id=job_id, status=lifecycle.RUNNING))
    return running or import_id_of(job_id)


def _describe(error: Exception) -> str:
    """The error's kind and first line: enough to act on, without a page of driver output."""
    message = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return f"{type(error).__name__}: {message}" if message else type(error).__name__
