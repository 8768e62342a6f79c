"""Step 2 for a workbook: is it a real, readable workbook, which sheet holds the leads, and does that sheet
have a header row and rows under it; or a clear problem. The zip listing is checked before any parsing."""
import zipfile
from dataclasses import dataclass
from pathlib import Path

from leadcrm.imports.upload.sample import PREVIEW_ROWS
from leadcrm.imports.upload.sniff import Problem, Sniffed, header_problem
from leadcrm.imports.workbook import reader

OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# Excel stores a password-protected workbook as an OLE file holding the encrypted zip under this name.
ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")
# A worksheet's XML packs about 10:1; a decompression bomb thousands to one. Both limits are far above
# what 1,048,576 rows of leads unpack to (about 600 MB with inline strings).
MAX_UNPACKED_BYTES = 4 * 1024**3
MAX_RATIO = 200
RATIO_FROM_BYTES = 50 * 1024**2
PICKER_ROWS = 10_000  # rows counted per sheet for the picker; more shows as "more than 10,000"
SAVE_AS_XLSX = "Open it in Excel and use File → Save As → Excel Workbook (.xlsx), then upload that file."


@dataclass(frozen=True)
class SheetSummary:
    """A sheet offered by the picker: its name, whether it is hidden, its rows (up to PICKER_ROWS) and first rows."""

    name: str
    hidden: bool
    rows: int
    more: bool
    preview: list[list[str]]


@dataclass(frozen=True)
class SheetChoice:
    """A workbook with several sheets of data: the person picks one."""

    sheets: list[SheetSummary]


def may_be_workbook(path: Path) -> bool:
    """The file starts as an OLE file or a zip does: what a workbook starts with (the start is enough)."""
    with open(path, "rb") as file:
        start = file.read(8)
    return start == OLE_SIGNATURE or start.startswith(b"PK\x03\x04")


def is_workbook(path: Path) -> bool:
    """An OLE file (an encrypted or 97-2003 workbook) or a zip holding xl/workbook.xml."""
    if not may_be_workbook(path):
        return False
    with open(path, "rb") as file:
        if file.read(8) == OLE_SIGNATURE:
            return True
    if not zipfile.is_zipfile(path):
        return False
    with zipfile.ZipFile(path) as archive:
        return "xl/workbook.xml" in archive.namelist()


def check(path: Path, sheet: str | None = None) -> Sniffed | SheetChoice | Problem:
    """The sheet to import with its header and first rows, a choice of sheets, or what is wrong."""
    problem = _container_problem(path)
    if problem:
        return problem
    try:
        with reader.Workbook(path) as book:
            return _check_sheets(book, sheet)
    except (reader.Unreadable, reader.TooManyRows) as error:
        return Problem(f"The workbook cannot be read ({error}): it is damaged or not a real Excel file. "
                       f"{SAVE_AS_XLSX}")


def _container_problem(path: Path) -> Problem | None:
    with open(path, "rb") as file:
        start = file.read(1 << 16)
    if start.startswith(OLE_SIGNATURE):
        if ENCRYPTED_PACKAGE in start or ENCRYPTED_PACKAGE in path.read_bytes():
            return _encrypted()
        return Problem("This is an Excel 97-2003 workbook (.xls), which cannot be imported as it is. " + SAVE_AS_XLSX)
    try:
        with zipfile.ZipFile(path) as archive:
            listing = archive.infolist()
    except zipfile.BadZipFile:
        return Problem(f"The file is not a real Excel workbook: its name says .xlsx but it is not a zip archive "
                       f"as Excel saves. {SAVE_AS_XLSX}")
    unpacked = sum(member.file_size for member in listing)
    bomb = next((m for m in listing if m.file_size > RATIO_FROM_BYTES
                 and m.file_size > MAX_RATIO * max(m.compress_size, 1)), None)
    if unpacked > MAX_UNPACKED_BYTES or bomb:
        return Problem(f"The workbook would unpack to {unpacked / 1024**2:,.0f} MB"
                       + (f" ({bomb.filename} is packed {bomb.file_size // max(bomb.compress_size, 1):,} to 1)" if bomb else "")
                       + ", far more than any sheet of leads: it looks like a decompression bomb, so it was not "
                       "opened. Save the leads in a new workbook, or as CSV UTF-8, and upload that file.")
    if "xl/workbook.xml" not in {member.filename for member in listing}:
        return Problem(f"The file is a zip archive but not an Excel workbook (it has no xl/workbook.xml). {SAVE_AS_XLSX}")
    return None


def _encrypted() -> Problem:
    return Problem("The workbook is protected with a password, so it cannot be read. In Excel use File → Info → "
                   "Protect Workbook → Encrypt with Password, clear the password, save, and upload it again.")


def _check_sheets(book: reader.Workbook, chosen: str | None) -> Sniffed | SheetChoice | Problem:
    sheets = book.package.sheets
    if chosen is not None:
        if chosen not in {sheet.name for sheet in sheets}:
            return Problem(f"The workbook has no sheet named “{chosen}”. Its sheets: "
                           f"{', '.join(sheet.name for sheet in sheets)}.")
        return _sheet(book, chosen)
    with_data = [(sheet, rows) for sheet in sheets if (rows := book.first_rows(sheet.name, PICKER_ROWS + 2))]
    if not with_data:
        return Problem("The workbook has no sheet with data: every sheet is empty. Put the leads in the first "
                       "sheet, column names in the first row, and upload it again.")
    if len(with_data) == 1:
        return _sheet(book, with_data[0][0].name)
    return SheetChoice([
        SheetSummary(sheet.name, sheet.hidden, min(len(rows) - 1, PICKER_ROWS), len(rows) - 1 > PICKER_ROWS,
                     [values for _, values in rows[:PREVIEW_ROWS + 1]])
        for sheet, rows in with_data
    ])


def _sheet(book: reader.Workbook, sheet: str) -> Sniffed | Problem:
    rows = book.first_rows(sheet, PREVIEW_ROWS + 1)
    if not rows:
        return Problem(f"The sheet “{sheet}” is empty. Choose the sheet that holds the leads.")
    (header_row, header), data = rows[0], [values for _, values in rows[1:]]
    problem = header_problem([header] + data)
    if problem:
        return Problem(f"Sheet “{sheet}”, row {header_row}: {problem.message}")
    if not data:
        return Problem(f"The sheet “{sheet}” has a header row but no rows of leads below it. "
                       "Add one lead per row under the column names and upload the file again.")
    return Sniffed(encoding="utf-8", delimiter=",", header=header, rows=data, sheet=sheet)
