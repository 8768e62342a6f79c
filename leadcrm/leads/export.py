"""The CSV export of a filtered leads list, streamed in chunks so 100,000 leads never sit in memory.

Values are written exactly as stored, with no formula neutralisation: the export is a backup and a
hand-over file that must import back into the same leads (round trip). Only the error report, which
is meant to be opened in a spreadsheet and fixed, neutralises formulas.
"""
import csv
import io
from collections.abc import Iterator

from sqlalchemy import Select

from ..extensions import db
from ..imports.results.report import BOM
from ..keys import name_key
from ..models import Company, Lead, Tag, lead_tag

HEADER = ["first_name", "last_name", "email", "phone", "company", "status", "source", "lead_score",
          "deal_value", "tags", "notes"]
CHUNK_LEADS = 2000


def export_query(leads: Select) -> Select:
    """The export's columns for a select over Lead, oldest first.

    Oldest first, unlike the list: importing the file creates the leads in file order, so the round trip
    gives back the same order.
    """
    return (
        leads.outerjoin(Company, Company.id == Lead.company_id)
        .with_only_columns(
            Lead.id, Lead.first_name, Lead.last_name, Lead.email, Lead.phone, Company.name, Lead.status,
            Lead.source, Lead.lead_score, Lead.deal_value, Lead.notes,
        )
        .order_by(Lead.id)
        .execution_options(yield_per=CHUNK_LEADS)
    )


def export_lines(leads: Select) -> Iterator[str]:
    """CSV text of the leads after a byte-order mark (for Excel, see results/report.py), one chunk at a time:
    one query for the rows, one per chunk for the tags."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    yield BOM + _drain(buffer)
    for chunk in db.session.execute(export_query(leads)).partitions():
        tags = _tags_of([row.id for row in chunk])
        for lead_id, first, last, email, phone, company, status, source, score, deal, notes in chunk:
            writer.writerow([
                first, last, email, phone, company or "", status.lower(), source,
                "" if score is None else score,
                "" if deal is None else f"{deal:.2f}",
                ", ".join(tags.get(lead_id, ())), notes,
            ])
        yield _drain(buffer)


def _tags_of(lead_ids: list[int]) -> dict[int, list[str]]:
    """Tag names per lead for one chunk, sorted case-insensitively like the leads list shows them."""
    names: dict[int, list[str]] = {}
    rows = db.session.execute(
        db.select(lead_tag.c.lead_id, Tag.name).join(Tag, Tag.id == lead_tag.c.tag_id)
        .where(lead_tag.c.lead_id.in_(lead_ids))
    )
    for lead_id, name in rows:
        names.setdefault(lead_id, []).append(name)
    return {lead_id: sorted(tag_names, key=lambda n: (name_key(n), n)) for lead_id, tag_names in names.items()}


def _drain(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text
