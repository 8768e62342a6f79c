"""Cancel an import, or put a stuck one back on the queue: compare-and-set updates on the import row."""
from datetime import timedelta

from sqlalchemy import or_, update

from leadcrm.extensions import db
from leadcrm.imports.jobs.enqueue import enqueue_job
from leadcrm.models import LeadImport, utcnow


def cancel_import(import_id: int) -> bool:
    """Ask a queued or running import to stop; one no worker has claimed yet is cancelled at once."""
    now = utcnow()
    # Still queued means no worker has claimed it: nothing to wait for, so it ends here.
    cancelled = db.session.execute(
        update(LeadImport)
        .where(LeadImport.id == import_id, LeadImport.status == "queued")
        .values(status="cancelled", cancel_requested=True, finished_at=now)
    ).rowcount
    # A running import is stopped by its worker at the next batch, which sets the final status.
    requested = db.session.execute(
        update(LeadImport)
        .where(LeadImport.id == import_id, LeadImport.status == "running")
        .values(cancel_requested=True)
    ).rowcount
    db.session.commit()
    return bool(cancelled or requested)


def is_stale(stale_before):
    """The running import's worker has not beaten since stale_before: taken as dead."""
    return (LeadImport.status == "running") & or_(LeadImport.heartbeat_at.is_(None),
                                                  LeadImport.heartbeat_at < stale_before)


def release_if_stale(import_id: int, stale_before) -> bool:
    """running with a stale heartbeat → queued (compare-and-set), so a new attempt may claim it."""
    released = db.session.execute(
        update(LeadImport).where(LeadImport.id == import_id, is_stale(stale_before))
        .values(status="queued", queued_at=utcnow())
    ).rowcount
    db.session.commit()
    return bool(released)


def requeue_import(import_id: int, stale_seconds: int) -> bool:
    """Queue a stuck import again: a running one whose heartbeat is stale, a failed one, or a queued one;
    it resumes from its checkpoint. False when it is none of these (it finished or came back to life)."""
    release_if_stale(import_id, utcnow() - timedelta(seconds=stale_seconds))
    db.session.execute(
        update(LeadImport).where(LeadImport.id == import_id, LeadImport.status == "failed")
        .values(status="queued", queued_at=utcnow(), finished_at=None, error_message=None)
    )
    db.session.commit()
    if db.session.scalar(db.select(LeadImport.status).filter_by(id=import_id)) != "queued":
        return False
    return enqueue_job(import_id) is not None
