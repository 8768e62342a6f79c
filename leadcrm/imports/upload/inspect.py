"""Step 2's entry: a workbook goes to the workbook checks, anything else to the CSV checks."""
from leadcrm.imports.upload import sample, sniff, storage
from leadcrm.imports.workbook import check as workbook_check


def inspect_stored(stored_name: str, encoding: str | None = None, delimiter: str | None = None,
                   sheet: str | None = None) -> sniff.Sniffed | sniff.Problem | workbook_check.SheetChoice:
    """Check a stored upload: how to read it, a choice of sheets, or a clear problem. A CSV file is read by
    its start only; a workbook whole, as its zip directory is at its end (from a database store, that is a
    copy of the whole file on this machine)."""
    with sample.start_of(stored_name) as path:
        if not workbook_check.may_be_workbook(path):
            return sniff.sniff(path, encoding, delimiter)
    with storage.local_file(stored_name) as path:
        if workbook_check.is_workbook(path):
            return workbook_check.check(path, sheet)
        return sniff.sniff(path, encoding, delimiter)
