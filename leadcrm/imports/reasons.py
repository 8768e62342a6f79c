"""Why a row is skipped or has an error: a code to group rows by (stored apart from the message, which
names the row's own values), the kind it counts as, and the name of its group on the pages."""
from typing import NamedTuple


class Reason(NamedTuple):
    kind: str  # duplicate, invalid, unchanged (skipped) or error
    group: str  # the group's name, e.g. "Status not recognised"


REASONS = {
    "existing_email": Reason("duplicate", "Email already in this workspace"),
    "repeated_email": Reason("duplicate", "Email repeated in this file"),
    "unchanged": Reason("unchanged", "Already up to date"),
    "no_value": Reason("invalid", "No value in any mapped column"),
    "invalid_email": Reason("invalid", "Email not valid"),
    "invalid_status": Reason("invalid", "Status not recognised"),
    "invalid_score": Reason("invalid", "Score not a whole number"),
    "invalid_deal_value": Reason("invalid", "Deal value not an amount"),
    "field_count": Reason("error", "Wrong number of fields"),
    "unreadable": Reason("error", "Not readable as CSV"),
    "too_long": Reason("error", "Value too long"),
    "undecodable": Reason("error", "Bytes not in the file's encoding"),
    "nul": Reason("error", "NUL character"),
    "cell_error": Reason("invalid", "Error value in a cell (#N/A, #REF! …)"),
    "no_saved_result": Reason("invalid", "Formula without a saved result"),
}


def kind_of(code: str) -> str:
    return REASONS[code].kind
