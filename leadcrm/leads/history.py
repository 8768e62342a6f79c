"""A lead's history for its page: the import that created it and the imports that changed it."""
from dataclasses import dataclass

from ..extensions import db
from ..models import LeadChange, LeadImport


@dataclass(frozen=True)
class ImportChanges:
    """What one import changed on the lead: the line of its file, and each change (LeadChange rows)."""

    imp: LeadImport
    line: int
    changes: list[LeadChange]


def changes_by_import(lead_id: int) -> list[ImportChanges]:
    """The imports that changed the lead (update mode), oldest first, each with its changes by field.

    A check writes what it would change in lead_change too; it changed nothing, so it is left out.
    One query, served by the index (lead_id, field, id).
    """
    rows = db.session.execute(
        db.select(LeadChange, LeadImport)
        .join(LeadImport, LeadImport.id == LeadChange.import_id)
        .where(LeadChange.lead_id == lead_id, LeadImport.check_of_id.is_(None))
        .order_by(LeadImport.id, LeadChange.field)
    ).all()
    grouped: dict[int, ImportChanges] = {}
    for change, imp in rows:
        grouped.setdefault(imp.id, ImportChanges(imp, change.line, [])).changes.append(change)
    return list(grouped.values())
