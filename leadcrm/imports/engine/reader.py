"""Read a stored CSV as records with the physical line each starts on; a record that cannot be read
becomes a read problem for that line, and reading goes on with the next one.

count_records() counts what records() yields (same header, blank lines and unreadable records),
without its per-record work, so total rows = the rows the import pass meets.
"""
import codecs
import csv
import re
from dataclasses import dataclass
from typing import Callable, Iterator

from leadcrm.imports.rows import Invalid, is_blank
from leadcrm.imports.upload.storage import codec, open_text

# Above this, one field is taken as a runaway quote rather than data (csv's default is 128 KiB).
FIELD_SIZE_LIMIT = 1024 * 1024
csv.field_size_limit(FIELD_SIZE_LIMIT)

# storage.open_text reads undecodable bytes as lone surrogates (errors="surrogateescape"), so one bad
# line is one error row instead of the whole file failing.
_UNDECODABLE = re.compile("[\udc80-\udcff]").search
_CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class FileTraits:
    """What the scan found in the whole file: records need the slower per-record checks only if so."""

    undecodable: bool
    nul: bool


def scan(path: str, encoding: str) -> FileTraits:
    """One quick pass over the bytes: does any line need the per-record checks? (Decoding strictly
    in C is several times faster than looking for the surrogates in the decoded text.)"""
    undecodable = nul = False
    decoder = codecs.getincrementaldecoder(codec(encoding))()
    with open(path, "rb") as file:
        while True:
            chunk = file.read(_CHUNK)
            try:
                nul = "\x00" in decoder.decode(chunk, final=not chunk) or nul
            except UnicodeDecodeError:
                undecodable = True
                decoder = codecs.getincrementaldecoder(codec(encoding))(errors="surrogateescape")
                nul = "\x00" in decoder.decode(chunk, final=not chunk) or nul
            if not chunk:
                return FileTraits(undecodable, nul)


def readable(text: str) -> str:
    """A value fit to store and show: undecodable bytes as U+FFFD, NUL (refused by PostgreSQL) dropped."""
    if _UNDECODABLE(text):
        text = text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return text.replace("\x00", "")


def _problem(values: list[str], traits: FileTraits, encoding: str) -> Invalid | None:
    if traits.undecodable and any(_UNDECODABLE(value) for value in values):
        return Invalid("undecodable", None, f"The line contains bytes that are not valid {encoding}. "
                       "Save the file as UTF-8 (CSV UTF-8 in Excel) and import it again.")
    if traits.nul and any("\x00" in value for value in values):
        return Invalid("nul", None, "The line contains a NUL character, which cannot be stored. "
                       "Remove it and import the row again.")
    return None


def records(path: str, encoding: str, delimiter: str, width: int, traits: FileTraits,
            skip: int = 0) -> Iterator[tuple[int, list[str], Invalid | None]]:
    """Yield (line, values, problem) for each record after the header, blank records left out, after
    skipping the first `skip` records (already imported). problem is None for a record the row rules
    can take (values are then exactly `width` fields), else why the record is an error row."""
    with open_text(path, encoding) as file:
        reader = csv.reader(file, delimiter=delimiter)
        # The header is the first non-blank record; the engine uses the header saved on the import.
        for values in reader:
            if not is_blank(values):
                break
        seen = 0
        line_after = reader.line_num  # physical lines consumed so far
        checks = traits.undecodable or traits.nul
        while True:
            try:
                for values in reader:
                    line = line_after + 1
                    line_after = reader.line_num
                    n = len(values)
                    if n == width and not is_blank(values):
                        problem = _problem(values, traits, encoding) if checks else None
                    elif is_blank(values):
                        continue
                    else:
                        problem = Invalid("field_count", None, f"Line {line} has {n} fields but the header has "
                                          f"{width}. Check for a missing or extra delimiter or an unclosed quote.")
                    seen += 1
                    if seen > skip:
                        yield line, values, problem
                return
            except csv.Error as error:
                line = line_after + 1
                line_after = reader.line_num
                seen += 1
                if seen > skip:
                    yield line, [], _read_error(line, error)


def _read_error(line: int, error: csv.Error) -> Invalid:
    if "field larger than field limit" in str(error):
        return Invalid("too_long", None, f"Line {line} has a value longer than {FIELD_SIZE_LIMIT:,} characters. "
                       "Check for an unclosed quote.")
    return Invalid("unreadable", None, f"Line {line} could not be read as CSV ({error}). Check the quotes on this line.")


def count_records(path: str, encoding: str, delimiter: str, on_progress: Callable[[], None]) -> int:
    """The number of rows: what records() yields (every non-blank record after the header, and each
    record csv cannot read), counted without its per-record work: the first, fast pass.

    on_progress() is called every 65,536 rows, to keep the heartbeat fresh.
    """
    total = 0
    with open_text(path, encoding) as file:
        reader = csv.reader(file, delimiter=delimiter)
        for values in reader:
            if not is_blank(values):
                break
        while True:
            try:
                for values in reader:
                    if not is_blank(values):
                        total += 1
                        if not total & 0xFFFF:
                            on_progress()
                return total
            except csv.Error:
                total += 1
