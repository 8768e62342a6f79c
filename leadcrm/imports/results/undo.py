"""Undo a finished import: put back every value it changed on existing leads, delete the leads it created,
then the companies and tags no lead uses any more.

A value something changed again since (a later import) is left as it is, and counted: undoing the later
import first puts the value back to what this import wrote, and this undo then restores the original.
Each step is one transaction per batch, and each batch records what it did (lead_change.undo, the
leads gone), so an undo that was interrupted ends, when run again, in the same state as one that was not.
"""
from dataclasses import dataclass

from sqlalchemy import delete, exists, select, update

from leadcrm.extensions import db
from leadcrm.imports import lifecycle
from leadcrm.imports.engine.updates import UPDATED_COLUMNS, amount
from leadcrm.imports.engine.writer import bulk_writer
from leadcrm.keys import name_key
from leadcrm.models import Company, Lead, LeadChange, LeadImport, Tag, lead_tag

BATCH = 1000


@dataclass
class Undone:
    deleted: int = 0  # leads the import created
    restored: int = 0  # values put back
    kept: int = 0  # values left because something changed them since


def can_undo(imp: LeadImport) -> bool:
    return imp.is_finished and imp.undone_at is None and not imp.is_check


def undo_import(imp: LeadImport) -> Undone:
    """Undo the import in batches; safe to run again after an interruption."""
    undone = Undone()
    while _restore_batch(imp, undone):
        pass
    while _delete_batch(imp, undone):
        pass
    lifecycle.mark_undone(db.session, imp.id)
    db.session.commit()
    return undone


def kept_by(change) -> int | None:
    """The import that changed the field again after this change (a LeadChange or a row with its
    columns), if one did."""
    return db.session.scalar(
        select(LeadChange.import_id).where(LeadChange.lead_id == change.lead_id, LeadChange.field == change.field,
                                           LeadChange.id > change.id, LeadChange.import_id != change.import_id)
        .order_by(LeadChange.id.desc()).limit(1))


def _restore_batch(imp: LeadImport, undone: Undone) -> bool:
    """Put back the values of the next batch of changes not undone yet; False when none is left."""
    conn = db.session.connection()
    bulk = bulk_writer(conn)
    bulk.lock_import(conn, imp.id)  # a second undo of the same import (a double click) waits, then sees this one's marks
    changes = db.session.scalars(
        select(LeadChange).where(LeadChange.import_id == imp.id, LeadChange.undo.is_(None))
        .order_by(LeadChange.lead_id, LeadChange.id).limit(BATCH)
    ).all()
    if not changes:
        db.session.commit()
        return False
    leads, tags = bulk.current(conn, sorted({change.lead_id for change in changes}), lock=True)
    current = {lead.id: lead._asdict() for lead in leads}
    for lead_id, lead in current.items():
        lead["tags"] = tags.get(lead_id, {})
    restored, kept, removed, added, touched_companies, touched_tags = [], [], [], [], set(), set()
    for change in changes:
        lead = current[change.lead_id]
        if not _holds(lead, change.field, change.after):
            kept.append(change.id)
            continue
        restored.append(change.id)
        lead["restored"] = True
        if change.field == "tags":
            before = {name_key(name): name for name in change.before}
            ids = dict(bulk.ensure_names(conn, "tag", imp.workspace_id, sorted(before.items())))
            now = lead["tags"]
            removed += [(change.lead_id, tag_id) for key, (tag_id, _) in now.items() if key not in before]
            added += [(change.lead_id, ids[key]) for key in before if key not in now]
            touched_tags.update(tag_id for key, (tag_id, _) in now.items() if key not in before)
        elif change.field == "company":
            if lead["company_id"] is not None:
                touched_companies.add(lead["company_id"])
            lead["company_id"] = None
            if change.before is not None:
                key = name_key(change.before)
                lead["company_id"] = dict(bulk.ensure_names(conn, "company", imp.workspace_id, [(key, change.before)]))[key]
        else:
            lead[change.field] = change.before
    rows = [(lead_id, *(_column(lead, name) for name in UPDATED_COLUMNS))
            for lead_id, lead in current.items() if lead.get("restored")]
    if rows:
        bulk.update_leads(conn, rows)
    bulk.change_links(conn, removed, added)
    _mark(restored, "restored")
    _mark(kept, "kept")
    _drop_unused(touched_companies, touched_tags)
    db.session.commit()
    undone.restored += len(restored)
    undone.kept += len(kept)
    return True


def _holds(lead: dict, field: str, after) -> bool:
    """The lead's field still has the value the change wrote (compared as the change stored it)."""
    if field == "tags":
        return set(lead["tags"]) == {name_key(name) for name in after}
    if field == "company":
        return lead["company_key"] == (name_key(after) if after is not None else None)
    if field == "deal_value":
        return amount(lead["deal_value"]) == after
    return lead[field] == after


def _column(lead: dict, name: str):
    return amount(lead[name]) if name == "deal_value" else lead[name]


def _mark(change_ids: list[int], outcome: str) -> None:
    if change_ids:
        db.session.execute(update(LeadChange).where(LeadChange.id.in_(change_ids)).values(undo=outcome))


def _delete_batch(imp: LeadImport, undone: Undone) -> bool:
    """Delete the next batch of leads the import created, and the companies and tags only they used."""
    conn = db.session.connection()
    bulk_writer(conn).lock_import(conn, imp.id)
    lead_ids = db.session.scalars(
        select(Lead.id).where(Lead.import_id == imp.id, Lead.workspace_id == imp.workspace_id).limit(BATCH)).all()
    if not lead_ids:
        db.session.commit()
        return False
    companies = set(db.session.scalars(
        select(Lead.company_id).where(Lead.id.in_(lead_ids), Lead.company_id.is_not(None)).distinct()))
    tags = set(db.session.scalars(select(lead_tag.c.tag_id).where(lead_tag.c.lead_id.in_(lead_ids)).distinct()))
    db.session.execute(delete(lead_tag).where(lead_tag.c.lead_id.in_(lead_ids)))
    db.session.execute(delete(Lead).where(Lead.id.in_(lead_ids)))
    _drop_unused(companies, tags)
    db.session.commit()
    undone.deleted += len(lead_ids)
    return True


def _drop_unused(company_ids: set[int], tag_ids: set[int]) -> None:
    """Delete those of these companies and tags that no lead uses any more."""
    for chunk in _chunks(sorted(company_ids)):
        db.session.execute(delete(Company).where(Company.id.in_(chunk), ~exists().where(Lead.company_id == Company.id)))
    for chunk in _chunks(sorted(tag_ids)):
        db.session.execute(delete(Tag).where(Tag.id.in_(chunk), ~exists().where(lead_tag.c.tag_id == Tag.id)))


def _chunks(ids: list[int]):
    for start in range(0, len(ids), BATCH):
        yield ids[start:start + BATCH]
