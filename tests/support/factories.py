"""Rows for the history, progress, report, undo, leads and health tests, written straight to the database."""
import uuid
from datetime import timedelta

from leadcrm.extensions import db
from leadcrm.keys import email_key, name_key
from leadcrm.models import Company, ImportRowIssue, Lead, LeadImport, Tag, utcnow

HEADER = ["First Name", "Email", "Company"]
MAPPING = {"First Name": "first_name", "Email": "email", "Company": "company"}


def make_import(workspace_id, user_id=None, **values) -> int:
    """An import row (completed with 10 rows by default); call inside an app context."""
    now = utcnow()
    fields = dict(
        workspace_id=workspace_id, created_by_id=user_id, original_filename="leads.csv",
        stored_name=uuid.uuid4().hex, size_bytes=1000, header=HEADER, mapping=MAPPING,
        defaults={"source": "Webinar", "status": "contacted", "tags": ["spring", "vip"]},
        status="completed", total_rows=10, processed=10, successful=8, skipped=1, errors=1,
        queued_at=now - timedelta(seconds=60), started_at=now - timedelta(seconds=50),
        finished_at=now - timedelta(seconds=5), heartbeat_at=now - timedelta(seconds=5), attempt=1,
    )
    fields.update(values)
    imp = LeadImport(**fields)
    db.session.add(imp)
    db.session.commit()
    return imp.id


# A code of each kind, for issues made without one.
CODE_OF_KIND = {"duplicate": "existing_email", "invalid": "invalid_email", "unchanged": "unchanged", "error": "field_count"}


def make_issue(import_id, line, kind="invalid", reason="bad row", values=None, code=None, column_name=None) -> None:
    db.session.add(ImportRowIssue(import_id=import_id, line=line, kind=kind, code=code or CODE_OF_KIND[kind],
                                  column_name=column_name, reason=reason,
                                  values=values if values is not None else [f"name{line}", f"x{line}", "Co"]))


def named(model, workspace_id, name):
    """The workspace's Company or Tag of that name (case-insensitively), created if missing."""
    found = db.session.scalar(db.select(model).filter_by(workspace_id=workspace_id, name_key=name_key(name)))
    if found is None:
        found = model(workspace_id=workspace_id, name=name, name_key=name_key(name))
        db.session.add(found)
    return found


def make_lead(workspace_id, email="", company_name=None, tags=(), **values) -> Lead:
    lead = Lead(workspace_id=workspace_id, email=email, email_key=email_key(email), **values)
    if company_name:
        lead.company = named(Company, workspace_id, company_name)
    lead.tags = [named(Tag, workspace_id, name) for name in tags]
    db.session.add(lead)
    db.session.flush()
    return lead
