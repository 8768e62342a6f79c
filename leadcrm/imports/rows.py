"""The row rules: raw cells + mapping → one lead's values (a LeadRow), or the reason the row is invalid.

Shared by the preview's sample row and the worker, so what the preview shows is what gets imported.
Kept free of database work: duplicates are decided by the engine against the unique index. Single
values are read by value_rules.py; the import's own readings (its status words, its number format)
come with the mapping as `rules`.
The worker applies them once per row of files with millions of rows, so they are written for speed.
"""
from functools import lru_cache, partial
from operator import itemgetter
from typing import Callable, NamedTuple

from leadcrm.imports.mapping.fields import FIELDS
from leadcrm.imports.value_rules import (
    EXPECTED_STATUSES,
    PLAIN_EMAIL,
    SKIP_ROW,
    STATUSES,
    USE_DEFAULT,
    company_name_and_key,
    deal_value_text,
    email_problem,
    split_tags,
    status_reading,
    unquoted,
    whole_number,
)
from leadcrm.keys import email_key


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


def is_blank(cells: list[str]) -> bool:
    """A record with no value in any cell is not a row: not counted, not shown, not reported."""
    for cell in cells:
        if cell and not cell.isspace():
            return False
    return True


def compile_row_rules(header: list[str], mapping: dict[str, str], defaults: dict | None = None,
                      rules: dict | None = None) -> Callable[[list[str]], LeadRow | Invalid]:
    """Build the function that applies the row rules to one record of a file with this header and mapping.

    rules: {"status_values": {status key: a status, USE_DEFAULT or SKIP_ROW}, "number_format": "point"|"comma"}.
    The record must have as many fields as the header (the engine reports other records as errors).
    """
    defaults, rules = defaults or {}, rules or {}
    chosen_statuses = rules.get("status_values") or {}
    number_format = rules.get("number_format") or "point"
    example = "1.234,50 or 1.234,50 €" if number_format == "comma" else "1234.50 or $1,234.50"
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
    # Company names, tag lists and scores repeat a lot in real files: their reading is remembered.
    company_of = lru_cache(maxsize=4096)(company_name_and_key)
    tags_of = lru_cache(maxsize=2048)(split_tags)
    score_of = lru_cache(maxsize=1024)(partial(whole_number, number_format=number_format))

    def apply(record: list[str]) -> LeadRow | Invalid:
        # A non-blank character anywhere in the joined values means some mapped value is not blank.
        joined = "".join(mapped_values(record))
        if not joined.strip():
            return Invalid("no_value", None, "The row has no value in any mapped column.")
        if "'" in joined:
            record = [unquoted(cell) for cell in record]
        email = key = None
        if email_at is not None:
            email = record[email_at].strip()
            if email:
                if not (len(email) <= 254 and PLAIN_EMAIL(email)):
                    problem = email_problem(email)
                    if problem:
                        return Invalid("invalid_email", email_column,
                                       f"Email {email!r} in column {email_column!r} is not a valid email address: {problem}")
                key = email_key(email)
        status = default_status
        if status_at is not None:
            raw = record[status_at].strip()
            if raw:
                status = STATUSES.get(raw) or status_reading(raw, chosen_statuses)
                if status == USE_DEFAULT:
                    status = default_status
                elif status == SKIP_ROW:
                    return Invalid("invalid_status", status_column, f"Status {raw!r} in column {status_column!r} "
                                   "is set to skip its rows on the mapping page.")
                elif status is None:
                    return Invalid("invalid_status", status_column,
                                   f"Status {raw!r} in column {status_column!r} is not one of {EXPECTED_STATUSES}, "
                                   "nor a status word the importer knows. Choose how to read it on the mapping page.")
        score = None
        if score_at is not None:
            raw = record[score_at].strip()
            if raw:
                score = score_of(raw)
                if score is None:
                    return Invalid("invalid_score", score_column,
                                   f"Score {raw!r} in column {score_column!r} is not a whole number (e.g. 85).")
        deal = None
        if deal_at is not None:
            raw = record[deal_at].strip()
            if raw:
                deal = deal_value_text(raw, number_format)
                if deal is None:
                    return Invalid("invalid_deal_value", deal_column,
                                   f"Deal Value {raw!r} in column {deal_column!r} is not a non-negative amount "
                                   f"with at most 2 decimals (e.g. {example}).")
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
