"""Step 2's entry: a workbook goes to the workbook checks, anything else to the CSV checks."""
from pathlib import Path

from leadcrm.imports.upload import sniff
from leadcrm.imports.workbook import check as workbook_check


def inspect(path: Path, encoding: str | None = None, delimiter: str | None = None,
            sheet: str | None = None) -> sniff.Sniffed | sniff.Problem | workbook_check.SheetChoice:
    """Check an upload: how to read it, a choice of sheets, or a clear problem."""
    if workbook_check.is_workbook(path):
        return workbook_check.check(path, sheet)
    return sniff.sniff(path, encoding, delimiter)
