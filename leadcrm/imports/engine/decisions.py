"""What becomes of a batch's rows with an email that the database already knows: a duplicate of an
earlier row of the file, a duplicate of a lead of the workspace, or (update mode) a match that updates
that lead. Pure Python over what the bulk writer read, shared by the import and the check, so a check
decides exactly as the import will.
"""
from dataclasses import dataclass, field

from leadcrm.imports.engine.batches import LEAD_COLUMNS, LEAD_WIDTH, Batch, RowIssue, keyed_values
from leadcrm.imports.engine.bulk import Owner

EMAIL_AT, KEY_AT = LEAD_COLUMNS.index("email"), LEAD_COLUMNS.index("email_key")


@dataclass(slots=True)
class Decisions:
    issues: list[RowIssue] = field(default_factory=list)  # the duplicates
    matches: dict[int, int] = field(default_factory=dict)  # line → id of the existing lead it updates


def lead_starts(batch: Batch) -> dict[int, int]:
    """Line → where its lead starts in batch.leads."""
    leads = batch.leads
    return dict(zip(leads[::LEAD_WIDTH], range(0, len(leads), LEAD_WIDTH)))


def emails_of(batch: Batch, lines: list[int], starts: dict[int, int]) -> dict[int, tuple[str, str]]:
    """Line → (email as written, email key) of these lines' leads."""
    leads = batch.leads
    return {line: (leads[starts[line] + EMAIL_AT], leads[starts[line] + KEY_AT]) for line in lines}


def reason(code: str, email: str, earlier: int | None) -> str:
    """The message of a duplicate: always with the row's own email and the first line of its email in the
    file, so that it reads the same wherever the batches of the file begin."""
    if code == "existing_email":
        return f"A lead with email {email!r} already exists in this workspace (existing leads are not updated)."
    return f"Email {email!r} already appears on line {earlier} of this file; a file can hold each email once."


def decide(batch: Batch, emails: dict[int, tuple[str, str]], owners: dict[str, Owner], seen: dict[str, int],
           import_id: int, update: bool) -> Decisions:
    """Decide the rows `emails` names (the batch's rows with an email that are not new leads).

    owners: the workspace's leads by email key; seen: the keys earlier rows of this import decided
    that the lead table does not tell (matched leads, and a check's rows), with their lines.
    """
    decisions, duplicates = Decisions(), {}  # line → (code, the first line of its email in the file)
    for line, (email, key) in emails.items():
        owner = owners.get(key)
        if owner is not None and owner.import_id == import_id and owner.import_line is not None:
            duplicates[line] = ("repeated_email", owner.import_line)
        elif key in seen:
            duplicates[line] = ("repeated_email", seen[key])
        elif update and owner is not None:
            decisions.matches[line] = owner.lead_id
        else:  # also a lead deleted since the unique index refused the row (an undo meanwhile)
            duplicates[line] = ("existing_email", None)
    for line, (code, earlier) in duplicates.items():
        decisions.issues.append(RowIssue(line, "duplicate", code, None, reason(code, emails[line][0], earlier),
                                         keyed_values(batch, line)))
    for repeat in batch.repeats:
        code, earlier = duplicates.get(repeat.earlier, ("repeated_email", repeat.earlier))
        decisions.issues.append(RowIssue(repeat.line, "duplicate", code, None, reason(code, repeat.email, earlier),
                                         repeat.values))
    return decisions
