"""The error report: the skipped and error rows of an import as a CSV to fix and import again."""
import csv
import io
from collections.abc import Iterator

from leadcrm.extensions import db
from leadcrm.models import ImportRowIssue, LeadImport

# OWASP CSV injection: a spreadsheet runs a cell that starts with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CHUNK_ROWS = 1000


def neutralise(cell: str) -> str:
    """Prefix a formula-looking cell with a quote so spreadsheets show it as text."""
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def report_lines(imp: LeadImport, kind: str | None = None) -> Iterator[str]:
    """CSV text of the import's issues in line order: the original columns, then line and reason; streamed."""
    width = len(imp.header)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([neutralise(name) for name in imp.header] + ["line", "reason"])
    query = (
        db.select(ImportRowIssue.line, ImportRowIssue.reason, ImportRowIssue.values)
        .where(ImportRowIssue.import_id == imp.id)
        .order_by(ImportRowIssue.line)
        .execution_options(yield_per=CHUNK_ROWS)
    )
    if kind:
        query = query.where(ImportRowIssue.kind == kind)
    for chunk in db.session.execute(query).partitions():
        for line, reason, values in chunk:
            # Cut or pad to the header so line and reason stay in their columns; a row with too many
            # cells says so in its reason.
            cells = [str(value) for value in values[:width]] + [""] * (width - len(values))
            writer.writerow([neutralise(cell) for cell in cells] + [line, neutralise(reason)])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()
