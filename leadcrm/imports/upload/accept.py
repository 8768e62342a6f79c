"""The end of steps 1-2: a pending upload that passed its check becomes an import, waiting for its mapping."""
from leadcrm.extensions import db
from leadcrm.imports import lifecycle
from leadcrm.imports.upload import storage
from leadcrm.imports.upload.sniff import Sniffed
from leadcrm.models import LeadImport


def accept(pending: storage.PendingUpload, sniffed: Sniffed, created_by_id: int | None,
           origin: str = "web") -> LeadImport | None:
    """Keep the checked file and create its import (status uploaded); None if the upload is gone."""
    if not storage.keep(pending.stored_name):
        return None
    imp = lifecycle.create(
        db.session,
        workspace_id=pending.workspace_id,
        created_by_id=created_by_id,
        origin=origin,
        original_filename=pending.original_filename,
        stored_name=pending.stored_name,
        size_bytes=pending.size_bytes,
        encoding=sniffed.encoding,
        delimiter=sniffed.delimiter,
        header=sniffed.header,
        sheet=sniffed.sheet,
    )
    db.session.commit()
    return imp
