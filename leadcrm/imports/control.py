"""Cancel an import, or put a stuck one back on the queue: compare-and-set updates on the import row."""
from datetime import timedelta

from sqlalchemy import update

from ..extensions import db
from ..models import LeadImport, utcnow
from .enqueue import enqueue_job


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


def requeue_import(import_id: int, stale_seconds: int) -> bool:
    """Queue a stuck import again: a running one whose heartbeat is stale, or a queued one; it resumes
    from its checkpoint. False when it is neither (it finished or came back to life meanwhile)."""
    stale_before = utcnow() - timedelta(seconds=stale_seconds)
    db.session.execute(
        update(LeadImport)
        .where(
            LeadImport.id == import_id,
            LeadImport.status == "running",
            db.or_(LeadImport.heartbeat_at.is_(None), LeadImport.heartbeat_at < stale_before),
        )
        .values(status="queued", queued_at=utcnow())
    )
    db.session.commit()
    if db.session.scalar(db.select(LeadImport.status).filter_by(id=import_id)) != "queued":
        return False
    return enqueue_job(import_id) is not None
