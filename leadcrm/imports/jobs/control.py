"""A person's actions on an import in the queue: cancel it, or put a stuck one back on the queue."""
from leadcrm.extensions import db
from leadcrm.imports import lifecycle
from leadcrm.imports.jobs.enqueue import enqueue_job
from leadcrm.imports.upload import retention
from leadcrm.models import LeadImport


def cancel_import(import_id: int) -> bool:
    """Ask a queued or running import to stop; one no worker has claimed yet is cancelled at once."""
    asked = lifecycle.cancel(db.session, import_id)
    db.session.commit()
    imp = db.session.get(LeadImport, import_id)
    if imp.status == lifecycle.CANCELLED:  # it never ran: nothing will read its file now
        retention.release(imp.stored_name)
    return asked


def requeue_import(import_id: int) -> bool:
    """Queue a stuck import again: a running one whose heartbeat is stale, a failed one, or a queued one;
    it resumes from its checkpoint. False when it is none of these (it finished or came back to life)."""
    lifecycle.release_stale(db.session, import_id, lifecycle.stale_before())
    lifecycle.requeue_failed(db.session, import_id)
    db.session.commit()
    if lifecycle.status_of(db.session, import_id) != lifecycle.QUEUED:
        return False
    return enqueue_job(import_id) is not None
