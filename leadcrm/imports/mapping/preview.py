"""Step 4: the preview of the mapping page: the file's first rows, and its first row as it will be imported;
in update mode also the first of them whose lead exists, as it will update it. Both go through the
engine's own row rules, batches and update rules, so the preview shows what the import does."""
from dataclasses import dataclass
from decimal import Decimal

from leadcrm.extensions import db
from leadcrm.imports.engine.batches import batches
from leadcrm.imports.engine.decisions import emails_of, lead_starts
from leadcrm.imports.engine.updates import Planner
from leadcrm.imports.engine.writer import bulk_writer
from leadcrm.imports.mapping.fields import FIELDS
from leadcrm.imports.rows import Invalid, LeadRow, compile_given_fields, compile_row_rules
from leadcrm.imports.upload import sample, storage
from leadcrm.imports.workbook import reader as workbook_reader
from leadcrm.models import LeadImport


@dataclass(frozen=True)
class SampleUpdate:
    """How a preview row updates the existing lead with its email: (field label, before, after) each."""

    row: int  # 1 for the first data row
    email: str
    changes: list[tuple[str, str, str]]


@dataclass(frozen=True)
class SampleRow:
    """The first data row under a mapping: each lead field with the value it gets, or why it is not imported."""

    values: list[tuple[str, str]]  # (field label, value as it will be saved)
    invalid: str = ""


def first_rows(imp: LeadImport, count: int = sample.PREVIEW_ROWS) -> list[list[str]]:
    """The first data rows of the import's file, each as wide as its header, read from its start only."""
    if imp.sheet is not None:
        with storage.local_file(imp.stored_name) as path:
            rows = workbook_reader.first_rows(path, imp.sheet, count + 1, len(imp.header))
        return [values for _, values in rows[1:]]
    data, truncated = sample.read_stored_start(imp.stored_name)
    text = sample.decode_start(data, truncated, imp.encoding, errors="replace")
    return sample.data_rows(sample.parse(text, truncated, imp.delimiter))[:count]


def checked_on_the_spot(imp: LeadImport) -> bool:
    """The whole file fits in the sample the page reads: a check needs no queue (a few hundred rows)."""
    return imp.size_bytes <= sample.SAMPLE_BYTES


def examples(header: list[str], rows: list[list[str]]) -> list[list[str]]:
    """For each column, its non-blank values in the first rows."""
    return [[row[i] for row in rows if row[i].strip()] for i in range(len(header))]


def sample_row(header: list[str], rows: list[list[str]], mapping: dict[str, str], defaults: dict,
               rules: dict | None = None) -> SampleRow | None:
    """The first data row through the row rules the import uses; None when the file has no rows."""
    if not rows:
        return None
    result = compile_row_rules(header, mapping, defaults, rules)(rows[0])
    if isinstance(result, Invalid):
        return SampleRow(values=[], invalid=result.reason)
    return SampleRow(values=[(label, _shown(result, name)) for name, label in FIELDS.items()])


def first_update(imp: LeadImport, rows: list[list[str]], mapping: dict, defaults: dict,
                 choices: dict) -> SampleUpdate | None:
    """In update mode, the first preview row whose email belongs to a lead of the workspace, as the import
    would update it; None in skip mode or when no preview row has such an email."""
    if choices["existing_leads"] != "update" or not rows:
        return None
    header = imp.header
    records = [(number, row, None) for number, row in enumerate(rows, 1)]
    batch = next(batches(records, compile_row_rules(header, mapping, defaults, choices.get("rules")), len(rows), False,
                         compile_given_fields(header, mapping)))
    starts = lead_starts(batch)
    emails = emails_of(batch, list(batch.keyed), starts)
    conn = db.session.connection()
    bulk = bulk_writer(conn)
    owners = {owner.email_key: owner for owner in bulk.owners(conn, imp.workspace_id, [k for _, k in emails.values()])}
    row = next((number for number in sorted(emails) if emails[number][1] in owners), None)
    if row is None:
        return None
    lead_id = owners[emails[row][1]].lead_id
    leads, tags = bulk.current(conn, [lead_id], lock=False)
    planner = Planner(mapping, defaults, choices["blank_cells"], choices["tag_mode"])
    row_tags = [key for line, key in batch.links if line == row]
    update = planner.plan(batch, row, starts[row], batch.given[row], row_tags, leads[0], tags.get(lead_id, {}))
    changes = [(FIELDS[change.field], _text(change.before), _text(change.after)) for change in update.changes] if update else []
    return SampleUpdate(row, emails[row][0], changes)


def _text(value) -> str:
    if isinstance(value, list):
        return ", ".join(value)
    return "" if value is None else str(value)


def _shown(lead: LeadRow, name: str) -> str:
    value = getattr(lead, name)
    if name == "tags":
        return ", ".join((value or {}).values())
    if name == "deal_value" and value is not None:
        return str(Decimal(value).quantize(Decimal("0.01")))  # as the numeric(14, 2) column will hold it
    return "" if value is None else str(value)
