"""Undo a finished import: delete the leads it created, then the companies and tags only they used."""
from sqlalchemy import delete, exists

from leadcrm.extensions import db
from leadcrm.imports import lifecycle
from leadcrm.models import Company, Lead, LeadImport, Tag, lead_tag

# Bound IN lists well under SQLite's and PostgreSQL's parameter limits.
ID_CHUNK = 1000


def can_undo(imp: LeadImport) -> bool:
    return imp.is_finished and imp.undone_at is None


def undo_import(imp: LeadImport) -> int:
    """Delete the import's leads and what became unused with them, in one transaction; returns leads deleted."""
    lead_ids = db.select(Lead.id).where(Lead.import_id == imp.id, Lead.workspace_id == imp.workspace_id)
    # Only the companies and tags this import's leads used are candidates: a company or tag that some
    # other lead uses, or that this import never touched, stays.
    company_ids = set(db.session.scalars(
        db.select(Lead.company_id).where(Lead.import_id == imp.id, Lead.company_id.is_not(None)).distinct()
    ))
    tag_ids = set(db.session.scalars(
        db.select(lead_tag.c.tag_id).where(lead_tag.c.lead_id.in_(lead_ids)).distinct()
    ))
    db.session.execute(delete(lead_tag).where(lead_tag.c.lead_id.in_(lead_ids)))
    deleted = db.session.execute(
        delete(Lead).where(Lead.import_id == imp.id, Lead.workspace_id == imp.workspace_id)
    ).rowcount
    for chunk in _chunks(sorted(company_ids)):
        db.session.execute(
            delete(Company).where(Company.id.in_(chunk), ~exists().where(Lead.company_id == Company.id))
        )
    for chunk in _chunks(sorted(tag_ids)):
        db.session.execute(
            delete(Tag).where(Tag.id.in_(chunk), ~exists().where(lead_tag.c.tag_id == Tag.id))
        )
    lifecycle.mark_undone(db.session, imp.id)
    db.session.commit()
    return deleted


def _chunks(ids: list[int]):
    for start in range(0, len(ids), ID_CHUNK):
        yield ids[start:start + ID_CHUNK]
