"""How long an import's file is kept: while an import that reads it may still run (waiting for its
mapping, queued, running, or failed, which can be re-queued). A check shares its import's file. Undo and
the error report read the database, never the file, so a finished import's file goes at once."""
from sqlalchemy import exists, select

from leadcrm.extensions import db
from leadcrm.imports import lifecycle
from leadcrm.imports.upload import storage
from leadcrm.models import LeadImport

NEEDS_FILE = (lifecycle.UPLOADED, lifecycle.QUEUED, lifecycle.RUNNING, lifecycle.FAILED)


def release(stored_name: str) -> bool:
    """Remove the file if no import needs it any more; whether it was removed."""
    needed = db.session.scalar(select(exists().where(
        LeadImport.stored_name == stored_name, LeadImport.status.in_(NEEDS_FILE))))
    db.session.commit()  # end the read: on SQLite a snapshot kept open would hold back other writers
    if needed:
        return False
    storage.discard(stored_name)
    return True
