"""An import's (or a check's) outcome grouped for a person: the skipped and error rows by reason, largest
group first, with a few examples each; and in update mode how many leads change, per field."""
from dataclasses import dataclass

from sqlalchemy import func, select

from leadcrm.extensions import db
from leadcrm.imports.reasons import REASONS
from leadcrm.models import ImportRowIssue, LeadChange, LeadImport

EXAMPLES = 3


@dataclass(frozen=True)
class Example:
    line: int
    value: str  # the cell the reason is about, or the reason itself


@dataclass(frozen=True)
class Group:
    code: str
    column: str | None
    kind: str
    label: str
    count: int
    examples: list[Example]

    @property
    def title(self) -> str:
        return f"{self.label} (column {self.column})" if self.column else self.label


def groups(imp: LeadImport) -> list[Group]:
    """The import's row issues by reason and column, largest group first (one index scan, then a few
    rows per group)."""
    counts = db.session.execute(
        select(ImportRowIssue.code, ImportRowIssue.column_name, func.count())
        .where(ImportRowIssue.import_id == imp.id)
        .group_by(ImportRowIssue.code, ImportRowIssue.column_name)
    ).all()
    found = []
    for code, column, count in sorted(counts, key=lambda row: (-row[2], row[0], row[1] or "")):
        rows = db.session.execute(
            select(ImportRowIssue.line, ImportRowIssue.reason, ImportRowIssue.values)
            .where(ImportRowIssue.import_id == imp.id, ImportRowIssue.code == code,
                   ImportRowIssue.column_name.is_(None) if column is None else ImportRowIssue.column_name == column)
            .order_by(ImportRowIssue.line).limit(EXAMPLES)
        ).all()
        at = imp.header.index(column) if column in imp.header else None
        examples = [Example(line, values[at] if at is not None and at < len(values) else reason)
                    for line, reason, values in rows]
        reason = REASONS.get(code)
        found.append(Group(code, column, reason.kind if reason else "error", reason.group if reason else code,
                           count, examples))
    return found


def changed_fields(import_id: int) -> list[tuple[str, int]]:
    """(field, leads whose field changes) in update mode, most changed first."""
    rows = db.session.execute(
        select(LeadChange.field, func.count()).where(LeadChange.import_id == import_id).group_by(LeadChange.field)
    ).all()
    return sorted(rows, key=lambda row: (-row[1], row[0]))

