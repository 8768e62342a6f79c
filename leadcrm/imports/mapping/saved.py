"""Step 3: the mapping a file starts from: the one last used in the workspace for its header (with the
choices made with it), else a guess."""
import hashlib
import json

from sqlalchemy.exc import IntegrityError

from leadcrm.extensions import db
from leadcrm.imports.mapping.fields import DO_NOT_IMPORT, FIELDS, guess_mapping
from leadcrm.models import SavedMapping


def header_digest(header: list[str]) -> str:
    """The same for every file with these column names in this order."""
    return hashlib.sha256(json.dumps(header, ensure_ascii=False).encode()).hexdigest()


def fits(mapping: dict[str, str], header: list[str]) -> bool:
    """A saved mapping still fits when it names exactly these columns and only fields that still exist."""
    return set(mapping) == set(header) and all(f == DO_NOT_IMPORT or f in FIELDS for f in mapping.values())


def suggest(workspace_id: int, header: list[str]) -> tuple[dict[str, str], dict, bool]:
    """The mapping and choices to start from, and whether they are the ones remembered for this header."""
    saved = db.session.execute(
        db.select(SavedMapping.mapping, SavedMapping.choices)
        .filter_by(workspace_id=workspace_id, header_key=header_digest(header))
    ).first()
    if saved is not None and fits(saved.mapping, header):
        return saved.mapping, saved.choices or {}, True
    return guess_mapping(header), {}, False


def remember(workspace_id: int, header: list[str], mapping: dict[str, str], choices: dict) -> None:
    """Keep the mapping and choices to offer them for the next file with this header in the workspace."""
    key = header_digest(header)
    saved = db.session.scalar(db.select(SavedMapping).filter_by(workspace_id=workspace_id, header_key=key))
    if saved is None:
        db.session.add(SavedMapping(workspace_id=workspace_id, header_key=key, mapping=mapping, choices=choices))
    else:
        saved.mapping, saved.choices = mapping, choices
    try:
        db.session.commit()
    except IntegrityError:
        # Another import with this header was started at the same moment and saved its mapping: either will do.
        db.session.rollback()
