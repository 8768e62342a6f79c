"""CSV files whose every row has a known outcome under the row rules, so tests can expect exact figures,
and files that are not CSV at all.

Shared by the browser, security, fault and import suites. Each builder returns the text (or writes the
file) and what the import must end with: counts, the lines of skipped/error rows, and the leads it creates.
"""
import csv
import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
JS_URL = "javascript:alert(1)"

EXPORT_HEADER = [
    "first_name", "last_name", "email", "phone", "company", "status", "source",
    "lead_score", "deal_value", "tags", "notes",
]


@dataclass
class Expected:
    total: int = 0
    successful: int = 0
    skipped: int = 0
    errors: int = 0
    issues: dict = field(default_factory=dict)  # line → kind (duplicate / invalid / error)
    leads: list = field(default_factory=list)  # export rows (dicts with EXPORT_HEADER keys)

    @property
    def processed(self) -> int:
        return self.successful + self.skipped + self.errors

    def figures(self) -> dict:
        return {"total": self.total, "processed": self.processed, "successful": self.successful,
                "skipped": self.skipped, "errors": self.errors}


def downloaded(response) -> list[list[str]]:
    """The rows of one of the app's CSV downloads, which start with a byte-order mark for Excel."""
    body = response.get_data()
    assert body.startswith("\ufeff".encode()), body[:20]
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))


def _lead(**values) -> dict:
    return {name: values.get(name, "") for name in EXPORT_HEADER}


FLOW_HEADER = ["First Name", "E-mail", "Organization", "Lead Status", "Lead Source", "Amount", "Labels",
               "Comments", "Favourite colour"]
# The mapping the wizard should guess, as dropdown labels.
FLOW_AUTO_MAPPING = {
    "First Name": "First Name", "E-mail": "Email", "Organization": "Company", "Lead Status": "Status",
    "Lead Source": "Source", "Amount": "Deal Value", "Labels": "Tags", "Comments": "Notes",
    "Favourite colour": "Do not import",
}


def flow_csv() -> tuple[str, Expected]:
    """The browser flow's file, once "Favourite colour" is mapped to Last Name (the test's dropdown change).

    Line numbers are physical lines (header = 1); Fay's notes span lines 7-8; lines 11 and 13 hold no value
    (not rows).
    """
    lines = [
        ",".join(FLOW_HEADER),                                                        # 1
        'Ada,ada@example.com,Acme,New,Webinar,"$1,200.50","vip, newsletter",Met at the booth,Teal',  # 2 ok
        "Bob,bob@example.com,acme,contacted,Webinar,300,VIP,,Red",                   # 3 ok (Acme, vip reused)
        'Cleo," ADA@Example.com ",Other Co,New,Webinar,10,,,Blue',                    # 4 duplicate of Ada
        "Dan,not-an-email,,New,Webinar,,,,Green",                                    # 5 invalid email
        "Eve,eve@example.com,,Maybe,Webinar,,,,",                                    # 6 invalid status
        'Fay,,Globex,Qualified,Webinar,50,,"Line one\nline two",Purple',             # 7-8 ok, no email
        "Gus,,,,Trade show,,,,",                                                     # 9 ok, no email
        "Hal,hal@example.com,Acme",                                                  # 10 error: 3 fields
        "",                                                                          # 11 blank: no row
        "Ivy,ivy@example.com,Initech,Lost,Trade show,abc,,,",                        # 12 invalid deal value
        ",,,,,,,,",                                                                  # 13 no value: no row
        'Jon,jon@example.com,,Converted,Webinar,0.5,"a, b,,A",,Black',               # 14 ok
        "Kay,bob@example.com,,New,Webinar,,,,",                                      # 15 duplicate of Bob
        "Lee,,,,Webinar,,,,",                                                        # 16 ok, no email
    ]
    expected = Expected(
        total=12, successful=6, skipped=5, errors=1,
        issues={4: "duplicate", 5: "invalid", 6: "invalid", 10: "error", 12: "invalid", 15: "duplicate"},
        leads=[
            _lead(first_name="Ada", last_name="Teal", email="ada@example.com", company="Acme", status="new",
                  source="Webinar", deal_value="1200.50", tags="newsletter, vip", notes="Met at the booth"),
            _lead(first_name="Bob", last_name="Red", email="bob@example.com", company="Acme",
                  status="contacted", source="Webinar", deal_value="300.00", tags="vip"),
            _lead(first_name="Fay", last_name="Purple", company="Globex", status="qualified", source="Webinar",
                  deal_value="50.00", notes="Line one\nline two"),
            _lead(first_name="Gus", status="new", source="Trade show"),
            _lead(first_name="Jon", last_name="Black", email="jon@example.com", status="converted",
                  source="Webinar", deal_value="0.50", tags="a, b"),
            _lead(first_name="Lee", status="new", source="Webinar"),
        ],
    )
    return "\n".join(lines) + "\n", expected


BIG_HEADER = EXPORT_HEADER


def write_big_csv(path: Path, rows: int, *, email_prefix: str = "user", start: int = 0) -> Expected:
    """A file of `rows` generated rows with a fixed mix of outcomes (by row index modulo 50):

    7 → duplicate of row i-7 (upper-cased), 13 → invalid email, 21 → no email (imported),
    33 → score not a whole number, 45 → unknown status, 41 with i % 1000 == 41 → too few fields (error);
    every other row a new lead. Row indexes start at `start`, so two files can share or avoid emails.
    Some notes hold a line break, so physical lines and record numbers differ.
    """
    expected = Expected()
    line = 2
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(BIG_HEADER)
        for i in range(start, start + rows):
            r = i % 50
            email = f"{email_prefix}{i}@example.com"
            status, score = "new", str(i % 100)
            notes = f"note {i}\nsecond line" if i % 97 == 0 else f"note {i}"
            kind = None
            if r == 7:
                email = f"{email_prefix}{i - 7}@EXAMPLE.com".upper() if i - 7 >= start else email
                kind = "duplicate" if i - 7 >= start else None
            elif r == 13:
                email, kind = f"{email_prefix}{i}@", "invalid"
            elif r == 21:
                email = ""
            elif r == 33:
                score, kind = "high", "invalid"
            elif r == 45:
                status, kind = "unknown", "invalid"
            if r == 41 and i % 1000 == 41:
                writer.writerow([f"First{i}", f"Last{i}", email])
                kind = "error"
            else:
                writer.writerow([f"First{i}", f"Last{i}", email, f"+1 555 {i:07d}", f"Company {i % 200}", status,
                                 "Generated", score, f"{i % 5000}.{i % 100:02d}", f"t{i % 7}, t{i % 3}", notes])
            expected.total += 1
            if kind is None:
                expected.successful += 1
            elif kind == "error":
                expected.errors += 1
                expected.issues[line] = kind
            else:
                expected.skipped += 1
                expected.issues[line] = kind
            line += 2 if ("\n" in notes and kind != "error") else 1
    return expected


def big_emails(rows: int, *, email_prefix: str = "user", start: int = 0) -> set[str]:
    """The lower-cased emails of the leads write_big_csv's file creates (rows without email excluded)."""
    emails = set()
    for i in range(start, start + rows):
        r = i % 50
        if r in (7, 13, 21, 33, 45) or (r == 41 and i % 1000 == 41):
            continue
        emails.add(f"{email_prefix}{i}@example.com")
    return emails


def big_no_email_rows(rows: int, start: int = 0) -> int:
    return sum(1 for i in range(start, start + rows) if i % 50 == 21)


XSS_HEADER = ["First Name", "Email", SCRIPT, "Notes", "Company"]
XSS_FILENAME = f"{IMG}{JS_URL}.csv"


def xss_csv() -> tuple[str, Expected]:
    """Payloads in cells (of a lead and of a skipped row) and in a column name; the column maps to nothing."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(XSS_HEADER)
    writer.writerow([SCRIPT, "xss1@example.com", IMG, JS_URL, IMG])     # 2 ok
    writer.writerow([IMG, SCRIPT, JS_URL, SCRIPT, JS_URL])               # 3 invalid email
    writer.writerow([JS_URL, JS_URL, SCRIPT, IMG, SCRIPT])               # 4 invalid email
    return out.getvalue(), Expected(total=3, successful=1, skipped=2, issues={3: "invalid", 4: "invalid"})


FORMULA_PREFIXES = ["=cmd|' /C calc'!A0", "+1+1", "-1-1", "@SUM(A1)", "\tx", "\rx"]


def formula_csv() -> str:
    """Rows skipped for a bad email whose cells start with formula characters (=, +, -, @, tab, CR)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_ALL)  # a bare CR would end the record
    writer.writerow(["First Name", "Email", "Company", "Notes"])
    for value in FORMULA_PREFIXES:
        writer.writerow([value, value + "@", value, value])
    return out.getvalue()


def xlsx_bytes() -> bytes:
    """The smallest zip an Excel workbook (.xlsx) is recognised by: a part under xl/."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as book:
        book.writestr("[Content_Types].xml", "<Types/>")
        book.writestr("xl/workbook.xml", "<workbook/>")
    return buffer.getvalue()


# A 30-column export as CRMs give them: 8 columns the importer knows, 22 it does not (issue 15).
WIDE_KNOWN = ["First Name", "Last Name", "Email", "Phone", "Company", "Lead Status", "Tags", "Notes"]
WIDE_HEADER = WIDE_KNOWN + [f"Custom field {n}" for n in range(1, 23)]


def wide_csv(rows: int) -> str:
    """rows data rows; line 3 has an unknown status (skipped) and line 4 a missing field (an error)."""
    lines = [",".join(WIDE_HEADER)]
    for n in range(1, rows + 1):
        status = "closed-maybe" if n == 2 else "new"
        values = [f"First{n}", f"Last{n}", f"person{n}@wide.example", f"+1 555 {n:07d}", f"Company {n % 7}",
                  status, "wide", f"Note {n}"] + [f"custom {c} of row {n}" for c in range(1, 23)]
        lines.append(",".join(values[:-1] if n == 3 else values))
    return "\n".join(lines) + "\n"
