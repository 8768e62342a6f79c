"""How one cell becomes a lead's value, for rows.py: emails, statuses (with other tools' status words),
amounts and whole numbers in either number format, tags, company names, and the quote our error report
puts before formula-looking cells. Pure functions of text, fast enough for millions of rows.
"""
import re
from functools import lru_cache

from email_validator import EmailNotValidError, validate_email

from leadcrm.keys import name_key
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
PLAIN_EMAIL = re.compile(
    r"[A-Za-z0-9_+-]+(?:\.[A-Za-z0-9_+-]+)*"
    rf"@(?:{_LABEL}\.)+(?!(?i:arpa|invalid|local|localhost|onion|test)\Z)[A-Za-z]{{2,24}}"
).fullmatch


def email_problem(email: str) -> str | None:
    """None if the address has valid syntax (email-validator's answer, no network), else its message."""
    if len(email) <= 254 and PLAIN_EMAIL(email):
        return None
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError as error:
        return str(error)
    return None


# Number formats: which character ends the whole part of a number. Thousands are grouped by the other
# one, or by spaces (also the no-break spaces spreadsheets write).
NUMBER_FORMATS = {"point": ".", "comma": ","}
NUMBER_EXAMPLES = {"point": "1,234.50", "comma": "1.234,50"}
_SPACES = str.maketrans("", "", " \u00a0\u202f")
_CURRENCY = "$€£"
_AMOUNT = re.compile(r"[0-9]+(?:\.[0-9]{0,2})?|\.[0-9]{1,2}").fullmatch
_WHOLE = {"point": re.compile(r"[+-]?[0-9]+(?:\.0*)?").fullmatch, "comma": re.compile(r"[+-]?[0-9]+(?:,0*)?").fullmatch}
# Values only one of the formats reads: a separator followed by 1-2 digits at the end is a decimal one,
# a grouping of threes before another separator is a thousands one.
_ONLY_POINT = re.compile(r"\d{1,3}(?:,\d{3})+\.\d{1,2}|\d+\.\d{1,2}|\d{1,3}(?:,\d{3}){2,}").fullmatch
_ONLY_COMMA = re.compile(r"\d{1,3}(?:[.\s\u00a0\u202f]\d{3})+,\d{1,2}|\d+,\d{1,2}|\d{1,3}(?:\.\d{3}){2,}").fullmatch


def deal_value_text(text: str, number_format: str = "point") -> str | None:
    """'1234.5', '$1,234.50', '€ 12,500' (point) or '1.234,50', '1 234,50 €', '12,5' (comma) → the amount as
    plain text with a point ('1234.50'); None when it is not a non-negative amount with at most 2 decimals
    (and at most 12 digits before them, the column's size)."""
    if not (number_format == "point" and _AMOUNT(text)):  # most amounts are plain digits: nothing to take off
        text = text.strip(_CURRENCY + " \u00a0").translate(_SPACES)
        thousands = "," if number_format == "point" else "."
        if thousands in text:
            whole, mark, fraction = text.partition(NUMBER_FORMATS[number_format])
            groups = whole.split(thousands)
            if not (1 <= len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:])):
                return None
            text = "".join(groups) + mark + fraction
        if number_format == "comma":
            text = text.replace(",", ".")
        if not _AMOUNT(text):
            return None
    return text if len(text.partition(".")[0].lstrip("0")) <= 12 else None


def whole_number(text: str, number_format: str = "point") -> int | None:
    """'85', '85.0' (point) or '85,0' (comma) → 85; None for anything else or beyond the column's range."""
    if not _WHOLE[number_format](text):
        return None
    number = int(text.partition(NUMBER_FORMATS[number_format])[0])
    return number if abs(number) <= MAX_SCORE else None


def number_format_votes(text: str) -> str | None:
    """The number format this value can only be read in, or None when it reads in both (e.g. '1,234')."""
    text = text.strip(_CURRENCY + " \u00a0")
    if _ONLY_POINT(text):
        return "point"
    if _ONLY_COMMA(text):
        return "comma"
    return None


# Status words of other CRMs (HubSpot, Salesforce, Pipedrive exports) and the five statuses in German,
# French and Spanish, compared by status_key.
STATUS_SYNONYMS = {
    **{key: "new" for key in ("open", "notcontacted", "opennotcontacted", "newlead", "fresh", "untouched",
                              "neu", "nouveau", "nuevo")},
    **{key: "contacted" for key in ("working", "workingcontacted", "inprogress", "attemptedtocontact",
                                    "attemptedtoconnect", "connected", "engaged", "contactmade", "nurturing",
                                    "kontaktiert", "inbearbeitung", "contacté", "contacte", "contactado")},
    **{key: "qualified" for key in ("mql", "sql", "salesqualified", "salesqualifiedlead", "marketingqualified",
                                    "marketingqualifiedlead", "opendeal", "opportunity", "hot", "qualifiziert",
                                    "qualifié", "qualifie", "calificado", "cualificado")},
    **{key: "converted" for key in ("won", "closedwon", "closedconverted", "customer", "deal", "signed",
                                    "gewonnen", "kunde", "gagné", "gagne", "converti", "ganado", "convertido")},
    **{key: "lost" for key in ("unqualified", "disqualified", "closedlost", "closednotconverted", "junk",
                               "badtiming", "badfit", "dead", "rejected", "verloren", "perdu", "perdido")},
}
# What a status value may be read as, besides one of the five statuses.
USE_DEFAULT, SKIP_ROW = "default", "skip"
_NOT_KEY = re.compile(r"[\W_]+")


def status_key(text: str) -> str:
    """Case, spaces and punctuation ignored: 'Closed Won', 'closed-won' and 'CLOSED_WON' meet."""
    return _NOT_KEY.sub("", text.casefold())


def status_reading(text: str, chosen: dict[str, str]) -> str | None:
    """What the status value reads as: a status, USE_DEFAULT, SKIP_ROW, or None when nothing says.
    chosen: the import's readings by status_key (the mapping page's), over the synonyms."""
    key = status_key(text)
    if key in chosen:
        return chosen[key]
    return STATUSES.get(key) or STATUS_SYNONYMS.get(key)


def split_tags(text: str) -> dict[str, str]:
    """'vip; Newsletter,,VIP' → {'vip': 'vip', 'newsletter': 'Newsletter'}: split at commas and semicolons
    (other tools export multi-value fields as 'vip;spain'), unique case-insensitively."""
    tags = {}
    for part in text.replace(";", ",").split(","):
        tag = _tag(part)
        if tag:
            tags.setdefault(*tag)
    return tags


@lru_cache(maxsize=4096)  # a file's lists are many, the tags in them few
def _tag(part: str) -> tuple[str, str] | None:
    """A tag's key and name as written, whitespace collapsed, or None when blank."""
    name = " ".join(part.split())[:TAG_MAX]
    return (name_key(name)[:TAG_MAX], name) if name else None


def company_name_and_key(text: str) -> tuple[str, str]:
    """Inner whitespace collapsed, cut to the column size; the key is cut too (case folding can lengthen it)."""
    name = " ".join(text.split())[:COMPANY_MAX]
    return name, name_key(name)[:COMPANY_MAX]


# results/report.py writes a cell that starts with one of these with a quote before it, so spreadsheets
# show it as text; reading it back, the quote goes, so report → fix → import gives the intended values.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def unquoted(cell: str) -> str:
    """The value our error report wrote as "'" + value."""
    return cell[1:] if cell[:1] == "'" and cell[1:2] in FORMULA_STARTS and len(cell) > 1 else cell
