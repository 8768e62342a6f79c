"""Step 2: check the start of an uploaded file: encoding, delimiter, header and first rows, or a clear problem.

Only the first SAMPLE_BYTES are read, so a 200 MB file is checked in milliseconds; problems deeper in
the file become row errors of the import.
"""
import codecs
import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from charset_normalizer import from_bytes

from leadcrm.imports.upload.labels import DELIMITER_NAMES, encoding_label
from leadcrm.imports.upload.sample import PREVIEW_ROWS, SAMPLE_BYTES, data_rows, decode_start, parse, read_start

SAVE_AS_CSV = "In Excel use File → Save As → CSV UTF-8, then upload the CSV file."
CHOOSE_CSV = "Choose the CSV file that holds your leads."
UNPACK = "Unpack it and upload the CSV file inside."
EMPTY = f"The file is empty. {CHOOSE_CSV} It needs column names in the first row and one lead per line."
# The start of common non-CSV files people pick by mistake, and what to do instead.
SIGNATURES = [
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an Excel 97-2003 workbook (.xls)", SAVE_AS_CSV),
    (b"%PDF-", "a PDF document", "Export the leads as CSV UTF-8 from the program the PDF came from."),
    (b"\x89PNG\r\n\x1a\n", "a PNG image", CHOOSE_CSV),
    (b"\xff\xd8\xff", "a JPEG image", CHOOSE_CSV),
    (b"GIF87a", "a GIF image", CHOOSE_CSV),
    (b"GIF89a", "a GIF image", CHOOSE_CSV),
    (b"\x1f\x8b", "a gzip-compressed file", UNPACK),
]
# Zip archives: office documents are zip files; the names of their parts tell them apart.
ZIP_PARTS = [
    (b"xl/", "an Excel workbook (.xlsx)", SAVE_AS_CSV),
    (b"opendocument.spreadsheet", "an OpenDocument spreadsheet (.ods)",
     "In LibreOffice use File → Save As → Text CSV with character set UTF-8, then upload the CSV file."),
    (b"word/", "a Word document (.docx)", CHOOSE_CSV),
]
# Checked before the NUL-byte test: UTF-16 and UTF-32 text is full of NUL bytes (Excel's "Unicode Text").
WIDE_BOMS = [
    (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"),
]
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_NUMBER = re.compile(r"[\s\d.,+\-()$€£%]*\d[\s\d.,+\-()$€£%]*")
_WORD = re.compile(r"[^\W\d_]+")
_WESTERN_PUNCTUATION = "€–—“”‘’„…«»°§£¥©®™·•\xa0"


@dataclass(frozen=True)
class Sniffed:
    """A file that can be mapped: how to read it, its columns and its first data rows."""

    encoding: str
    delimiter: str
    header: list[str]
    rows: list[list[str]]  # the first data rows, each as wide as the header
    sheet: str | None = None  # a workbook's sheet; None for a CSV file


@dataclass(frozen=True)
class Problem:
    """Why the file cannot be imported as it is and how to fix it; maybe settings that would read it."""

    message: str
    offer: dict[str, str] = field(default_factory=dict)  # e.g. {"delimiter": ";"} or {"encoding": "cp1252"}
    offer_label: str = ""

    def worded(self, fix: str) -> str:
        """The message with its offer put another way: the command line's options instead of the page's button."""
        return self.message.replace(self.offer_label, fix, 1)


def sniff(path: Path, encoding: str | None = None, delimiter: str | None = None) -> Sniffed | Problem:
    """Check the start of the file: UTF-8 and commas unless given, with better guesses offered on failure."""
    data, truncated = read_start(path)
    if not data:
        return Problem(EMPTY)
    if encoding is None and (wide := _wide_encoding(data)):
        label = encoding_label(wide)
        return Problem(
            f"Invalid CSV format: the file is not UTF-8 but {label} (Excel's “Unicode Text” saves this). "
            f"Import it as {label}, or save it as CSV UTF-8 and upload it again.",
            {"encoding": wide}, f"Import it as {label}",
        )
    problem = _binary_problem(data, encoding)
    if problem:
        return problem
    encoding = codecs.lookup(encoding).name if encoding else None
    try:
        text = decode_start(data, truncated, encoding or "utf-8")
    except UnicodeDecodeError as error:
        return _encoding_problem(data, truncated, error, encoding)
    if truncated and not text:
        return Problem(
            f"The first line is longer than {SAMPLE_BYTES // 1024} KiB, so this is not a CSV file with one lead "
            f"per line. {CHOOSE_CSV}"
        )
    if not text.strip():
        return Problem(EMPTY)
    try:
        records = parse(text, truncated, delimiter or ",")
    except csv.Error as error:
        return Problem(
            f"The start of the file cannot be read as CSV ({error}). Save it as CSV UTF-8 and upload it again."
        )
    return header_problem(records, text, delimiter) or _rows_problem(records, truncated) or Sniffed(
        encoding=encoding or "utf-8",
        delimiter=delimiter or ",",
        header=records[0],
        rows=data_rows(records)[:PREVIEW_ROWS],
    )


def guess_encoding(data: bytes, truncated: bool) -> str | None:
    """The sample's likely encoding: windows-1252 if it reads as Western text, else charset-normalizer's best."""
    try:
        if _reads_as_western(decode_start(data, truncated, "cp1252")):
            return "cp1252"
    except UnicodeDecodeError:
        pass
    best = from_bytes(data).best()
    if best is None or codecs.lookup(best.encoding).name == "utf-8":
        return None
    try:
        decode_start(data, truncated, best.encoding)
    except UnicodeDecodeError:
        return None
    return codecs.lookup(best.encoding).name


def _reads_as_western(text: str) -> bool:
    """Non-ASCII characters are letters or common punctuation, and a minority of the letters of their words."""
    # Windows-1252 is what Excel saves on Western European Windows, and charset-normalizer, on a short
    # sample, often ranks a rarer code page (cp775, mac_latin2) above it. Cyrillic or Greek read as
    # windows-1252 gives words made of accented letters only, so those still go to charset-normalizer.
    if any(ord(c) > 127 and not (c.isalpha() or c in _WESTERN_PUNCTUATION) for c in text):
        return False
    words = [word for word in _WORD.findall(text) if any(ord(c) > 127 for c in word)]
    accented = sum(ord(c) > 127 for word in words for c in word)
    return bool(words) and accented * 2 <= sum(map(len, words))


def _wide_encoding(data: bytes) -> str | None:
    return next((name for bom, name in WIDE_BOMS if data.startswith(bom)), None)


def _binary_problem(data: bytes, encoding: str | None) -> Problem | None:
    what, fix = next(((what, fix) for magic, what, fix in SIGNATURES if data.startswith(magic)), (None, None))
    if data.startswith(b"PK\x03\x04"):
        what, fix = next(((w, f) for part, w, f in ZIP_PARTS if part in data), ("a ZIP archive", UNPACK))
    if what:
        return Problem(f"This looks like {what}, not a CSV file. {fix}")
    if b"\0" in data and not (encoding and codecs.lookup(encoding).name.startswith(("utf-16", "utf-32"))):
        return Problem(
            "The file holds binary data (NUL bytes), not text, so it is not a CSV file. "
            "Export your leads as CSV UTF-8 from the program they are in, then upload that file."
        )
    return None


def _encoding_problem(data: bytes, truncated: bool, error: UnicodeDecodeError, encoding: str | None) -> Problem:
    line_number = data[: error.start].count(b"\n") + 1
    if encoding:
        return Problem(
            f"The file is not {encoding_label(encoding)} either (line {line_number} cannot be read). "
            "Save it as CSV UTF-8 and upload it again."
        )
    message = f"Invalid CSV format: the file is not UTF-8 (line {line_number} holds bytes that are not UTF-8). "
    guess = guess_encoding(data, truncated)
    if guess is None:
        return Problem(message + "Save it as CSV UTF-8 (in Excel: File → Save As → CSV UTF-8) and upload it again.")
    label = encoding_label(guess)
    line = data.split(b"\n")[line_number - 1].decode(guess, errors="replace").strip()
    # Excel's CSV export in most of Europe is both: windows-1252 and semicolons. One offer reads it.
    delimiter = _likely_delimiter(decode_start(data, truncated, guess))
    if delimiter:
        name = DELIMITER_NAMES[delimiter]
        return Problem(
            message + f"It is most likely {label}, separated by {name}: line {line_number} would read "
            f"“{line[:80]}”. Import it as {label} separated by {name}, or save it as CSV UTF-8 and upload it again.",
            {"encoding": guess, "delimiter": delimiter}, f"Import it as {label} separated by {name}",
        )
    return Problem(
        message + f"It is most likely {label}: line {line_number} would read “{line[:80]}”. "
        f"Import it as {label}, or save it as CSV UTF-8 and upload it again.",
        {"encoding": guess}, f"Import it as {label}",
    )


def header_problem(records: list[list[str]], text: str = "", delimiter: str | None = ",") -> Problem | None:
    """What is wrong with the first record as column names; delimiter None also looks for a better delimiter."""
    header = records[0] if records else []
    if not header:
        return Problem(
            "The first line of the file is empty. The column names must be in the first line: "
            "delete the empty lines at the top and upload the file again."
        )
    if delimiter is None and len(header) == 1:
        problem = _delimiter_problem(text)
        if problem:
            return problem
    names = [name.strip() for name in header]
    looks_like_data = next((name for name in names if _EMAIL.fullmatch(name)), None)
    if looks_like_data or (any(names) and all(_NUMBER.fullmatch(name) for name in names if name)):
        return Problem(
            f"The file has no header row: the first row looks like data (“{looks_like_data or names[0]}”), "
            "not column names. Add a first line with a name for each column, "
            "e.g. first_name,last_name,email, and upload the file again."
        )
    blank = [str(i) for i, name in enumerate(names, 1) if not name]
    if blank:
        which = f"Column {blank[0]} has" if len(blank) == 1 else f"Columns {', '.join(blank[:-1])} and {blank[-1]} have"
        return Problem(
            f"{which} no name in the header row. Give every column a name in the first line, "
            "or delete the empty columns, and upload the file again."
        )
    for i, name in enumerate(names):
        if name in names[:i]:
            return Problem(
                f"The column name “{name}” is used twice (columns {names.index(name) + 1} and {i + 1}). "
                "Rename one of them so that every column has its own name, and upload the file again."
            )
    return None


def _likely_delimiter(text: str) -> str | None:
    """The delimiter other than a comma that splits the first line best, when commas do not split it."""
    def width(delimiter: str) -> int:
        return len(next(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), []))

    if width(",") > 1:
        return None
    widths = {delimiter: width(delimiter) for delimiter in DELIMITER_NAMES if delimiter != ","}
    delimiter = max(widths, key=widths.get)
    return delimiter if widths[delimiter] >= 2 else None


def _delimiter_problem(text: str) -> Problem | None:
    delimiter = _likely_delimiter(text)
    if delimiter is None:
        return None
    name = DELIMITER_NAMES[delimiter]
    return Problem(
        f"Invalid CSV format: the file is separated by {name}, not commas. "
        f"Import it separated by {name}, or save it as comma-separated CSV UTF-8 and upload it again.",
        {"delimiter": delimiter}, f"Import it separated by {name}",
    )


def _rows_problem(records: list[list[str]], truncated: bool) -> Problem | None:
    if data_rows(records):
        return None
    if truncated:
        return Problem(
            f"The first row after the header does not end within the first {SAMPLE_BYTES // 1024} KiB: "
            "it is far too long, or a double quote (\") in it is never closed. A value with a quote inside must be "
            "quoted and the quote doubled (\"say \"\"hi\"\"\"). Fix that row and upload the file again."
        )
    return Problem(
        "The file has a header row but no rows of leads below it. "
        "Add one lead per line under the column names and upload the file again."
    )
