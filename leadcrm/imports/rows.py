"""The row rules: raw CSV values + mapping → the values of one lead, or the reason the row is invalid.

Shared by the preview's sample row and the worker, so what the preview shows is what gets imported.
Kept free of database work: duplicates are decided by the engine against the unique index.
"""
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Callable

from email_validator import EmailNotValidError, validate_email

from ..keys import email_key, name_key
from ..models import LEAD_STATUSES
from .fields import FIELDS

STATUSES = {status: status for status in LEAD_STATUSES}
EXPECTED_STATUSES = ", ".join(LEAD_STATUSES)
MAX_DEAL_VALUE = Decimal("999999999999.99")

# Plain ASCII addresses that email-validator accepts; anything else goes to email-validator itself
# (tests/imports/test_rows.py proves the two agree on generated addresses).
_PLAIN_EMAIL = re.compile(
    r"[A-Za-z0-9_+-]+(?:\.[A-Za-z0-9_+-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+(?!(?:arpa|invalid|local|localhost|onion|test)$)"
    r"[A-Za-z]{2,24}"
)
_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]*)?|\.[0-9]+")
_WHOLE = re.compile(r"[+-]?[0-9]+(?:\.0*)?")


@dataclass(slots=True)
class LeadValues:
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    email_key: str | None = None
    phone: str = ""
    company: str = ""
    company_key: str = ""
    status: str = "new"
    source: str = ""
    lead_score: int | None = None
    deal_value: Decimal | None = None
    tags: dict[str, str] | None = None  # tag key → name as first written
    notes: str = ""


@dataclass(slots=True)
class Invalid:
    reason: str


@lru_cache(maxsize=65536)
def email_problem(email: str) -> str | None:
    """None if the address has valid syntax (email-validator's answer, no network), else its message."""
    if len(email) <= 254 and _PLAIN_EMAIL.fullmatch(email) and len(email.partition("@")[0]) <= 64:
        return None
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError as error:
        return str(error)
    return None


def parse_deal_value(text: str) -> Decimal | None:
    """'1234.5', '$1,234.50', '€ 12,500' → Decimal; None when it is not a non-negative amount with ≤ 2 decimals."""
    if text[:1] in "$€£":
        text = text[1:].lstrip()
    if "," in text:
        whole, dot, fraction = text.partition(".")
        groups = whole.split(",")
        if not (1 <= len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:])):
            return None
        text = "".join(groups) + dot + fraction
    if not _NUMBER.fullmatch(text):
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    if value.as_tuple().exponent < -2 or value > MAX_DEAL_VALUE:
        return None
    return value.quantize(Decimal("0.01"))


def split_tags(text: str) -> dict[str, str]:
    """'vip, Newsletter,,VIP' → {'vip': 'vip', 'newsletter': 'Newsletter'}: unique case-insensitively."""
    tags = {}
    for name in text.split(","):
        name = " ".join(name.split())
        if name:
            tags.setdefault(name_key(name), name[:100])
    return tags


def compile_row_rules(header: list[str], mapping: dict[str, str], defaults: dict | None = None
                      ) -> Callable[[list[str]], LeadValues | Invalid]:
    """Build the function that applies the row rules to one record of a file with this header and mapping."""
    defaults = defaults or {}
    column_of = {field: header.index(column) for column, field in mapping.items() if field in FIELDS}
    default_source = (defaults.get("source") or "").strip()
    default_status = (defaults.get("status") or "").strip().lower() or "new"
    default_tags = split_tags(", ".join(defaults.get("tags") or []))
    plain = [(field, index) for field, index in column_of.items()
             if field in ("first_name", "last_name", "phone", "source", "notes")]
    get = column_of.get
    email_at, company_at, status_at = get("email"), get("company"), get("status")
    score_at, deal_at, tags_at = get("lead_score"), get("deal_value"), get("tags")
    mapped = list(column_of.values())

    def apply(record: list[str]) -> LeadValues | Invalid:
        if not any(record[i].strip() for i in mapped):
            return Invalid("The row has no value in any mapped column.")
        lead = LeadValues(source=default_source, status=default_status)
        for field, index in plain:
            value = record[index].strip()
            if value:
                setattr(lead, field, value)
        if email_at is not None:
            email = record[email_at].strip()
            if email:
                problem = email_problem(email)
                if problem:
                    return Invalid(f"Email {email!r} in column {header[email_at]!r} is not a valid email address: {problem}")
                lead.email, lead.email_key = email, email_key(email)
        if status_at is not None:
            raw = record[status_at].strip()
            if raw:
                status = STATUSES.get(raw.lower())
                if status is None:
                    return Invalid(f"Status {raw!r} in column {header[status_at]!r} is not one of {EXPECTED_STATUSES}.")
                lead.status = status
        if score_at is not None:
            raw = record[score_at].strip()
            if raw:
                if not _WHOLE.fullmatch(raw) or abs(int(raw.split(".")[0])) > 2_000_000_000:
                    return Invalid(f"Score {raw!r} in column {header[score_at]!r} is not a whole number (e.g. 85).")
                lead.lead_score = int(raw.split(".")[0])
        if deal_at is not None:
            raw = record[deal_at].strip()
            if raw:
                value = parse_deal_value(raw)
                if value is None:
                    return Invalid(
                        f"Deal Value {raw!r} in column {header[deal_at]!r} is not a non-negative amount "
                        "with at most 2 decimals (e.g. 1234.50 or $1,234.50)."
                    )
                lead.deal_value = value
        if company_at is not None:
            company = " ".join(record[company_at].split())
            if company:
                lead.company, lead.company_key = company[:255], name_key(company)
        tags = split_tags(record[tags_at]) if tags_at is not None else {}
        if default_tags:
            tags = {**default_tags, **tags}
        lead.tags = tags or None
        return lead

    return apply
