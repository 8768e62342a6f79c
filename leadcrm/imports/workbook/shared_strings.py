"""A workbook's shared strings, read by index without holding the table in memory.

Excel keeps every text cell's text once, in xl/sharedStrings.xml, and a cell holds its index. A 1M-row
sheet of leads has millions of distinct texts (every email, phone and note): held as Python strings
(openpyxl) or Rust strings (calamine) the table alone takes 200-400 MB. Here the table is parsed as far
as a cell needs it, in blocks of BLOCK strings written to a temporary file; a few recent blocks stay in
memory. Excel writes the table in the order the texts first appear in the sheet, so reading the rows in
order mostly asks for the newest blocks (an email, a phone: text met for the first time); a text met again
further down (a company, a tag) is read from its older block once and kept by itself.
"""
import html
import os
import re
import tempfile
import zipfile
import zlib
from array import array
from itertools import accumulate
from struct import unpack_from

from leadcrm.imports.workbook.package import Unreadable

BLOCK_BITS = 6  # small blocks: a text met again far down costs reading its block
BLOCK = 1 << BLOCK_BITS
_MASK = BLOCK - 1
RECENT_BLOCKS = 512  # the newest blocks read (32,768 strings, about 3 MB)
REPEATED = 20_000  # strings kept one by one from older blocks, in two generations of this many (about 4 MB)
_CHUNK = 1 << 20
# A block in the file: BLOCK + 1 offsets (uint32, where each string starts in the text), then its strings
# joined by NUL. One string of an older block is cut out by its offsets: splitting all 64 would cost
# three times as much, and most texts met again are read that way.
_OFFSET = array("I").itemsize
_OFFSETS = _OFFSET * (BLOCK + 1)

# A string item whose text is one plain run (<t>…</t>) is taken by the regular expression itself; rich
# text (runs, phonetic guides) is taken apart in Python.
_ITEM = re.compile(rb'<(?:\w+:)?si>(?:<(?:\w+:)?t(?: xml:space="preserve")?>([^<]*)</(?:\w+:)?t>|(.*?))</(?:\w+:)?si>'
                   rb'|<(?:\w+:)?si/>', re.S)
_PHONETIC = re.compile(rb"<(?:\w+:)?rPh\b.*?</(?:\w+:)?rPh>", re.S)
_RUN_TEXT = re.compile(rb"<(?:\w+:)?t\b[^>]*>([^<]*)</(?:\w+:)?t>")
_EXCEL_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


def _end_of_items(data: bytes) -> int:
    """Where the last whole item of data ends (after its closing tag, </si> or </x:si>), or 0."""
    at = len(data)
    while (at := data.rfind(b"si>", 0, at)) >= 0:
        if data[data.rfind(b"<", 0, at) + 1:][:1] == b"/":
            return at + 3
    return 0


class MissingString(Exception):
    """A cell names a shared string the table does not hold."""


def unescape(text: str) -> str:
    """XML's character references (&amp;, &#10;) and Excel's own escapes of control characters
    (_x000D_ for a carriage return, _x005F_ for the underscore that starts one)."""
    if "&" in text:
        text = html.unescape(text)
    if "_x" in text:
        text = _EXCEL_ESCAPE.sub(_control, text)
    return text


def rich_text(item: bytes) -> bytes:
    """The text of a rich string (runs of <t>, as Excel writes formatted text), without its phonetic
    guides (<rPh>, the readings Japanese text carries), still XML-escaped."""
    return b"".join(_RUN_TEXT.findall(_PHONETIC.sub(b"", item)))


def _control(match: re.Match) -> str:
    char = chr(int(match.group(1), 16))
    return "" if char == "\0" else char  # NUL cannot be text in a cell


class SharedStrings:
    """strings[i] is the i-th shared string; the table is parsed on demand, once."""

    def __init__(self, archive: zipfile.ZipFile, part: str | None):
        self._source = archive.open(part) if part else None
        self._pending = b""
        self._current: list[str] = []  # the block being parsed
        self._ends = array("Q")  # where each written block ends in the file
        self._file = None
        self._recent: dict[int, list[str]] = {}
        self._newest = -1  # the highest block number read so far
        self._repeated: dict[int, str] = {}
        self._older: dict[int, str] = {}  # the generation before: a string still asked for moves back
        self.blank: set[int] = set()  # the strings parsed so far with no text but spaces (a row's count needs them)

    @property
    def caches(self) -> tuple[dict[int, str], dict[int, list[str]]]:
        """For the sheet's hot loop to look in first: the repeated strings by index, and the newest blocks
        by number (index >> BLOCK_BITS), one of which can be the block still being parsed (shorter)."""
        return self._repeated, self._recent

    def __getitem__(self, index: int) -> str:
        text = self._repeated.get(index)
        if text is not None:
            return text
        text = self._older.get(index)
        if text is not None:
            return self._keep(index, text)
        while index >= self.parsed:
            if not self._parse_more():
                raise MissingString(f"a cell names shared string {index}, and the workbook holds {self.parsed:,}")
        number = index >> BLOCK_BITS
        if number == len(self._ends):
            return self._current[index & _MASK]
        block = self._recent.get(number)
        if block is not None:
            return block[index & _MASK]
        data = self._read(number)
        if number > self._newest - RECENT_BLOCKS:
            block = data[_OFFSETS:].decode().split("\0")
            self._remember(number, block)
            return block[index & _MASK]
        start, end = unpack_from("2I", data, (index & _MASK) * _OFFSET)
        return self._keep(index, data[_OFFSETS + start:_OFFSETS + end - 1].decode())

    def rewind(self) -> None:
        """A new pass over a sheet asks for the table from its start again: the blocks it reads next are the
        newest, not the last ones an earlier pass (the count) read, or it would keep every text met once."""
        self._recent.clear()
        self._newest = -1

    def _keep(self, index: int, text: str) -> str:
        if len(self._repeated) >= REPEATED:
            self._older = self._repeated.copy()  # the dict itself stays: the hot loop holds it
            self._repeated.clear()
        self._repeated[index] = text
        return text

    @property
    def parsed(self) -> int:
        return len(self._ends) * BLOCK + len(self._current)

    def close(self) -> None:
        if self._source is not None:
            self._source.close()
        if self._file is not None:
            self._file.close()

    def _read(self, number: int) -> bytes:
        start = self._ends[number - 1] if number else 0
        return os.pread(self._file.fileno(), self._ends[number] - start, start)

    def _remember(self, number: int, block: list[str]) -> None:
        self._newest = max(self._newest, number)
        while len(self._recent) >= RECENT_BLOCKS:
            del self._recent[next(iter(self._recent))]  # the one read longest ago
        self._recent[number] = block

    def _parse_more(self) -> bool:
        """Parse the next chunk of the table; False once it has ended."""
        if self._source is None:
            return False
        try:
            data = self._pending + self._source.read(_CHUNK)
        except (zipfile.BadZipFile, zlib.error, EOFError) as error:
            raise Unreadable(f"its shared strings are damaged: {error}") from error
        if len(data) == len(self._pending):  # the end of the table
            self._source.close()
            self._source = None
            self._pending = b""
            self._take(data, len(data))
            return True
        end = _end_of_items(data)
        self._pending = data[end:]  # an item cut by the chunk waits for the rest
        self._take(data, end)
        return True

    def _take(self, data: bytes, end: int) -> None:
        for plain, rich in _ITEM.findall(data, 0, end):
            text = plain if not rich else rich_text(rich)
            self._add(unescape(text.decode()))

    def _add(self, text: str) -> None:
        if not text or text.isspace():
            self.blank.add(self.parsed)
        current = self._current
        if not current:
            self._remember(len(self._ends), current)
        current.append(text)
        if len(current) == BLOCK:
            self._write(current)
            self._current = []

    def _write(self, block: list[str]) -> None:
        if self._file is None:
            self._file = tempfile.TemporaryFile(prefix="leadcrm-strings-")
        text = "\0".join(block)
        data = text.encode()
        sizes = map(len, block) if len(data) == len(text) else (len(item.encode()) for item in block)  # ASCII or not
        self._file.write(array("I", accumulate((size + 1 for size in sizes), initial=0)).tobytes() + data)
        self._file.flush()
        self._ends.append(self._file.tell())
