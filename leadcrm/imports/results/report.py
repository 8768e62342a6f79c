"""The CSV downloads of an import: its error report (the skipped and error rows, to fix and import again)
and its list of changes to existing leads. Both are streamed and safe to open in a spreadsheet."""
import csv
import io
from collections.abc import Iterable, Iterator

from sqlalchemy import Select

from leadcrm.extensions import db
from leadcrm.imports.value_rules import FORMULA_STARTS
from leadcrm.models import ImportRowIssue, Lead, LeadChange, LeadImport

CHUNK_ROWS = 1000
# Excel reads a CSV as UTF-8 only when it starts with the byte-order mark (its own "CSV UTF-8" writes one);
# without it "Müller" shows as "MÃ¼ller". Our importer reads it back silently.
BOM = "\ufeff"


def neutralise(cell: str) -> str:
    """Prefix a formula-looking cell with a quote so spreadsheets show it as text (OWASP CSV injection);
    the importer reads the quote back (value_rules.unquoted)."""
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def csv_lines(header: list[str], rows: Iterable[list]) -> Iterator[str]:
    """CSV text of the rows, every cell neutralised, about CHUNK_ROWS rows at a time, after a BOM."""
    buffer = io.StringIO(BOM)
    buffer.seek(len(BOM))
    writer = csv.writer(buffer)
    writer.writerow([neutralise(name) for name in header])
    for number, row in enumerate(rows, 1):
        writer.writerow([neutralise(cell) if isinstance(cell, str) else cell for cell in row])
        if not number % CHUNK_ROWS:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def _streamed(query: Select):
    for chunk in db.session.execute(query.execution_options(yield_per=CHUNK_ROWS)).partitions():
        yield from chunk


def report_lines(imp: LeadImport, conditions: list) -> Iterator[str]:
    """The import's issues (those matching `conditions`) in line order: the original columns, then line and
    reason."""
    width = len(imp.header)
    query = (db.select(ImportRowIssue.line, ImportRowIssue.reason, ImportRowIssue.values)
             .where(ImportRowIssue.import_id == imp.id, *conditions).order_by(ImportRowIssue.line))

    def rows():
        for line, reason, values in _streamed(query):
            # Cut or pad to the header so line and reason stay in their columns; a row with too many
            # cells says so in its reason.
            yield [str(value) for value in values[:width]] + [""] * (width - len(values)) + [line, reason]

    return csv_lines(list(imp.header) + ["line" if imp.sheet is None else "row", "reason"], rows())


def change_value(value) -> str:
    """A change's value as text: tag names joined, nothing as empty."""
    if isinstance(value, list):
        return ", ".join(value)
    return "" if value is None else str(value)


def changes_lines(imp: LeadImport, field: str | None) -> Iterator[str]:
    """The changes the import made (or a check would make) to existing leads."""
    query = (db.select(LeadChange.line, Lead.email, LeadChange.field, LeadChange.before, LeadChange.after)
             .join(Lead, Lead.id == LeadChange.lead_id).where(LeadChange.import_id == imp.id)
             .order_by(LeadChange.line, LeadChange.field))
    if field:
        query = query.where(LeadChange.field == field)
    rows = ([line, email, name, change_value(before), change_value(after)]
            for line, email, name, before, after in _streamed(query))
    return csv_lines(["line", "email", "field", "before", "after"], rows)


