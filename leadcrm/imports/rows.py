"""The row rules: raw cells + mapping → one lead's values (a LeadRow), or the reason the row is invalid.

Shared by the preview's sample row and the worker, so what the preview shows is what gets imported.
Kept free of database work: duplicates are decided by the engine against the unique index.
The worker applies them once per row of files with millions of rows, so they are written for speed.
"""
import re
from functools import lru_cache
from operator import itemgetter
from typing import Callable, NamedTuple

from email_validator import EmailNotValidError, validate_email

from leadcrm.imports.mapping.fields import FIELDS
from leadcrm.keys import email_key, name_key
from leadcrm.models import LEAD_STATUSES

STATUSES = {status: status for status in LEAD_STATUSES}
EXPECTED_STATUSES = ", ".join(LEAD_STATUSES)
MAX_SCORE = 2_000_000_000
COMPANY_MAX, TAG_MAX = 255, 100  # the column sizes of company.name(_key) and tag.name(_key)

# A subset of the ASCII addresses email-validator accepts, checked without calling it; anything else
# goes to email-validator itself, so the answer is always its answer (tests/imports/test_rows.py
# compares the two on generated addresses). Why each piece is safe:
# - local part: dot-atom of letters, digits, _ + - (email-validator's DOT_ATOM_TEXT allows more);
# - domain labels: single hyphens only, so no R-LDH ("ab--") or Punycode ("xn--") label, each at most
#   63 characters (the negative look-ahead);
# - TLD: letters only, not a special-use name in any case (email-validator lower-cases the domain);
# - the total length (254) is checked by the caller; the local part's 64 applies only in strict mode.
_LABEL = r"(?![A-Za-z0-9-]{64})[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*"
_PLAIN_EMAIL = re.compile(
    r"[A-Za-z0-9_+-]+(?:\.[A-Za-z0-9_+-]+)*"
    rf"@(?:{_LABEL}\.)+(?!(?i:arpa|invalid|local|localhost|onion|test)\Z)[A-Za-z]{{2,24}}"
).fullmatch
# At most 2 decimals, written out (no exponent, no sign).
_AMOUNT = re.compile(r"[0-9]+(?:\.[0-9]{0,2})?|\.[0-9]{1,2}").fullmatch
_WHOLE = re.compile(r"[+-]?[0-9]+(?:\.0*)?").fullmatch


class LeadRow(NamedTuple):
    """One lead as the row rules make it; the field order is the one place a lead's values are ordered."""

    first_name: str
    last_name: str
    email: str
    email_key: str | None  # None without email: such leads never collide
    phone: str
    company: str
    company_key: str | None  # None without company
    status: str
    source: str
    lead_score: int | None
    deal_value: str | None  # the amount as plain decimal text ("1234.50"): the database makes it a number
    tags: dict[str, str] | None  # tag key → name as first written (shared between rows: do not change)
    notes: str


class Invalid(NamedTuple):
    """Why the row is not a lead: a code of reasons.REASONS, the CSV column concerned, and the message."""

    code: str
    column: str | None
    reason: str


def email_problem(email: str) -> str | None:
    """None if the address has valid syntax (email-validator's answer, no network), else its message."""
    if len(email) <= 254 and _PLAIN_EMAIL(email):
        return None
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError as error:
        return str(error)
    return None


def deal_value_text(text: str) -> str | None:
    """'1234.5', '$1,234.50', '€ 12,500' → '1234.5', '1234.50', '12500'; None when it is not a
    non-negative amount with at most 2 decimals (and at most 12 digits before them, the column's size)."""
    if text[:1] in "$€£":
        text = text[1:].lstrip()
    if "," in text:
        whole, dot, fraction = text.partition(".")
        groups = whole.split(",")
        if not (1 <= len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:])):
            return None
        text = "".join(groups) + dot + fraction
    if not _AMOUNT(text) or len(text.partition(".")[0].lstrip("0")) > 12:
        return None
    return text


def company_name_and_key(text: str) -> tuple[str, str]:
    """Inner whitespace collapsed, cut to the column size; the key is cut too (case folding can lengthen it)."""
    name = " ".join(text.split())[:COMPANY_MAX]
    return name, name_key(name)[:COMPANY_MAX]


def split_tags(text: str) -> dict[str, str]:
    """'vip, Newsletter,,VIP' → {'vip': 'vip', 'newsletter': 'Newsletter'}: unique case-insensitively."""
    tags = {}
    for name in text.split(","):
        name = " ".join(name.split())[:TAG_MAX]
        if name:
            tags.setdefault(name_key(name)[:TAG_MAX], name)
    return tags


def is_blank(cells: list[str]) -> bool:
    """A record with no value in any cell is not a row: not counted, not shown, not reported."""
    for cell in cells:
        if cell and not cell.isspace():
            return False
    return True


def compile_row_rules(header: list[str], mapping: dict[str, str], defaults: dict | None = None
                      ) -> Callable[[list[str]], LeadRow | Invalid]:
    """Build the function that applies the row rules to one record of a file with this header and mapping.

    The record must have as many fields as the header (the engine reports other records as errors).
    """
    defaults = defaults or {}
    column_of = {field: header.index(column) for column, field in mapping.items() if field in FIELDS}
    default_source = (defaults.get("source") or "").strip()
    default_status = (defaults.get("status") or "").strip().lower() or "new"
    if default_status not in STATUSES:
        raise ValueError(f"The default status {default_status!r} is not one of {EXPECTED_STATUSES}.")
    default_tags = split_tags(", ".join(defaults.get("tags") or [])) or None
    get = column_of.get
    first_at, last_at, phone_at, source_at = get("first_name"), get("last_name"), get("phone"), get("source")
    email_at, company_at, status_at = get("email"), get("company"), get("status")
    score_at, deal_at, tags_at, notes_at = get("lead_score"), get("deal_value"), get("tags"), get("notes")
    email_column = header[email_at] if email_at is not None else ""
    status_column = header[status_at] if status_at is not None else ""
    score_column = header[score_at] if score_at is not None else ""
    deal_column = header[deal_at] if deal_at is not None else ""
    mapped = list(column_of.values())
    # itemgetter of one index returns the value itself, of several a tuple: join needs an iterable.
    mapped_values = itemgetter(*mapped) if len(mapped) > 1 else (lambda r, i=mapped[0]: (r[i],)) if mapped else (lambda r: ())
    # Company names and tag lists repeat a lot in real files: their cleaning is remembered.
    company_of = lru_cache(maxsize=16384)(company_name_and_key)
    tags_of = lru_cache(maxsize=4096)(split_tags)

    def apply(record: list[str]) -> LeadRow | Invalid:
        # A non-blank character anywhere in the joined values means some mapped value is not blank.
        if not "".join(mapped_values(record)).strip():
            return Invalid("no_value", None, "The row has no value in any mapped column.")
        email = key = None
        if email_at is not None:
            email = record[email_at].strip()
            if email:
                if not (len(email) <= 254 and _PLAIN_EMAIL(email)):
                    problem = email_problem(email)
                    if problem:
                        return Invalid("invalid_email", email_column,
                                       f"Email {email!r} in column {email_column!r} is not a valid email address: {problem}")
                key = email_key(email)
        status = default_status
        if status_at is not None:
            raw = record[status_at].strip()
            if raw:
                status = STATUSES.get(raw) or STATUSES.get(raw.lower())
                if status is None:
                    return Invalid("invalid_status", status_column,
                                   f"Status {raw!r} in column {status_column!r} is not one of {EXPECTED_STATUSES}.")
        score = None
        if score_at is not None:
            raw = record[score_at].strip()
            if raw:
                score = int(raw.partition(".")[0]) if _WHOLE(raw) else None
                if score is None or abs(score) > MAX_SCORE:
                    return Invalid("invalid_score", score_column,
                                   f"Score {raw!r} in column {score_column!r} is not a whole number (e.g. 85).")
        deal = None
        if deal_at is not None:
            raw = record[deal_at].strip()
            if raw:
                deal = deal_value_text(raw)
                if deal is None:
                    return Invalid("invalid_deal_value", deal_column,
                                   f"Deal Value {raw!r} in column {deal_column!r} is not a non-negative amount "
                                   "with at most 2 decimals (e.g. 1234.50 or $1,234.50).")
        company, company_key = "", None
        if company_at is not None:
            raw = record[company_at]
            if raw and not raw.isspace():
                company, company_key = company_of(raw)
        tags = default_tags
        if tags_at is not None:
            raw = record[tags_at]
            if raw and not raw.isspace():
                tags = tags_of(raw)
                if default_tags:
                    tags = {**default_tags, **tags}
                tags = tags or default_tags
        source = default_source
        if source_at is not None:
            source = record[source_at].strip() or default_source
        return LeadRow(
            record[first_at].strip() if first_at is not None else "",
            record[last_at].strip() if last_at is not None else "",
            email or "",
            key,
            record[phone_at].strip() if phone_at is not None else "",
            company,
            company_key,
            status,
            source,
            score,
            deal,
            tags,
            record[notes_at].strip() if notes_at is not None else "",
        )

    return apply


def field_bit(field: str) -> int:
    """The bit of a LeadRow field in the masks of compile_given_fields."""
    return 1 << LeadRow._fields.index(field)


def compile_given_fields(header: list[str], mapping: dict[str, str]) -> Callable[[list[str]], int]:
    """Build the function that tells which lead fields a record gives a value for (a mask of field_bit):
    what updating an existing lead with the record may change. The engine calls it for rows with an email."""
    columns = [(header.index(column), field_bit(field)) for column, field in mapping.items() if field in FIELDS]

    def given(record: list[str]) -> int:
        mask = 0
        for at, bit in columns:
            cell = record[at]
            if cell and not cell.isspace():
                mask |= bit
        return mask

    return given
