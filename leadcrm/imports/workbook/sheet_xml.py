"""A worksheet's rows streamed from its XML: (Excel row number, text cells, problem), never the whole sheet.

The sheet part is decompressed 256 KB at a time and its cells are found by one regular expression
(a C loop) per chunk; Python then only turns each cell into text. A 1M-row sheet is 400-600 MB of XML,
which an XML parser calling back into Python for every element reads at a third of the speed.
The XML of <sheetData> is regular (rows of <c> elements holding <f>, <v> or <is>); a cell the expression
cannot split into those parts is read in full by the slower path below (_cell_text).

Only the first `width` columns (the header's) are read: a stray value in XFD1048576 neither pads rows to
16,384 cells nor makes a row. A stored dimension is never looked at: rows are read until the sheet ends.
"""
import re
import zipfile
import zlib
from contextlib import contextmanager
from functools import lru_cache
from operator import itemgetter
from typing import Iterator

from leadcrm.imports.rows import Invalid, is_blank
from leadcrm.imports.workbook.cells import column_letters, date_text, number_text
from leadcrm.imports.workbook.formats import GENERAL, NumberFormat
from leadcrm.imports.workbook.package import Unreadable
from leadcrm.imports.workbook.shared_strings import BLOCK_BITS, MissingString, SharedStrings, rich_text, unescape

EXCEL_ROWS = 1_048_576
_CHUNK = 1 << 18
_MASK = (1 << BLOCK_BITS) - 1
_ROOT = re.compile(rb"<(\w+:)?worksheet\b")
_ROW_NUMBER = re.compile(rb"""\sr=["'](\d+)""")
_ATTRIBUTE = re.compile(rb"""\s(?:\w+:)?(\w+)=(?:"([^"]*)"|'([^']*)')""")
_FORMULA = re.compile(rb"<(?:\w+:)?f\b[^>]*?(?:/>|>(.*?)</(?:\w+:)?f>)", re.S)
_VALUE = re.compile(rb"<(?:\w+:)?v>(.*?)</(?:\w+:)?v>", re.S)
_INLINE = re.compile(rb"<(?:\w+:)?is>(.*?)</(?:\w+:)?is>", re.S)


@contextmanager
def _damaged() -> Iterator[None]:
    try:
        yield
    except (zipfile.BadZipFile, zlib.error, EOFError) as error:
        raise Unreadable(f"its sheet is damaged: {error}") from error


def _attributes(tag: bytes) -> dict[bytes, bytes]:
    return {name: double or single for name, double, single in _ATTRIBUTE.findall(tag)}


def _cell_element(element: bytes) -> tuple[bytes, bytes, bytes, bytes]:
    """A whole <c> element's column letters, style, type and content, its attributes in any order."""
    start = element.find(b">")
    found = _attributes(element[:start])
    content = b"" if element[start - 1:start] == b"/" else element[start + 1:element.rfind(b"</")]
    return found.get(b"r", b"").rstrip(b"0123456789"), found.get(b"s", b""), found.get(b"t", b""), content


def _row_number(tag: bytes, previous: int) -> int:
    found = _ROW_NUMBER.search(tag)
    return int(found.group(1)) if found else previous + 1


class TooManyRows(Exception):
    """A sheet holds rows beyond Excel's last row (a file written by a program, not by Excel)."""

    def __init__(self, message: str = f"The sheet has rows beyond row {EXCEL_ROWS:,}, the last row Excel "
                 "allows. Split it into sheets or files of at most that many rows and import each."):
        super().__init__(message)


@lru_cache
def _tokens(prefix: bytes) -> re.Pattern:
    """Cells and row starts, in document order, as three kinds of match:
    - a shared-string cell as Excel, LibreOffice and openpyxl write it (r first, maybe s, then t="s" and
      its <v>): (column letters, string index, b"" …), most of a sheet's cells, with the fewest groups;
    - another cell written r first with a <v>, a plain <is> or nothing: (b"", b"", column letters, its
      other attributes, <v> text, <is><t> text, b"");
    - a row start with its number first: (b"" …, the row number, b"");
    - any other row start or cell: (b"" …, the element), for the slower path.
    Quantifiers are possessive: a cell that does not fit one form is given up at once, not backtracked.
    Making each group's bytes is most of the expression's time."""
    p = re.escape(prefix)
    start = rb"<" + p + rb'c r="([A-Z]{1,3}+)\d*+"'
    return re.compile(
        start + rb'(?: s="\d++")? t="s"><' + p + rb"v>(\d++)</" + p + rb"v></" + p + rb"c>"
        rb"|" + start + rb"([^>/]*+)(?:/>|>(?:<" + p + rb"v>([^<]*+)</" + p + rb"v>|<" + p + rb"is><" + p
        + rb"t>([^<]*+)</" + p + rb"t></" + p + rb"is>)?</" + p + rb"c>)"
        rb"|<" + p + rb'row r="(\d++)"[^>]*+>'
        rb"|(<" + p + rb"row\b[^>]*>|<" + p + rb"c\b[^>]*?/>|<" + p + rb"c\b.*?</" + p + rb"c>)", re.S)


@lru_cache
def _first_cells(prefix: bytes) -> re.Pattern:
    """Each row start (its number written first) with its first cell when that is a plain one: (column
    letters, other attributes, <v> text, <is><t> text); what count() needs of a row, almost always."""
    p = re.escape(prefix)
    return re.compile(
        rb"<" + p + rb'row r="\d++"[^>]*+>(?:<' + p + rb"c\b[^>]*/>)*(?:<" + p + rb'c r="([A-Z]{1,3}+)\d*+"([^>/]*+)>(?:<'
        + p + rb"v>([^<]*+)</" + p + rb"v>|<" + p + rb"is><" + p + rb"t>([^<]*+)</" + p + rb"t></" + p + rb"is>)</" + p
        + rb"c>)?")


class Sheet:
    """One worksheet of an open package, read as text cells up to `width` columns."""

    def __init__(self, archive: zipfile.ZipFile, part: str, strings: SharedStrings, formats: list[NumberFormat],
                 epoch_1904: bool, width: int, header: list[str] | None = None):
        self.archive, self.part, self.strings, self.width = archive, part, strings, width
        self.formats, self.epoch_1904 = formats, epoch_1904
        self.header = header or []
        self.columns = {column_letters(i).encode(): i for i in range(width)}
        self._kinds: dict[bytes, tuple[bytes, bytes]] = {}
        with _damaged(), archive.open(part) as source:
            root = _ROOT.search(source.read(4096))
        self.prefix = (root.group(1) or b"") if root else b""
        self._row_start = b"<" + self.prefix + b"row"

    def rows(self) -> Iterator[tuple[int, list[str], Invalid | None]]:
        """Each row holding a value: (Excel row number, `width` text cells, the row's first problem)."""
        number = 0
        for data, end in self._chunks():
            for number, values, problem in self._rows_in(data, end, number):
                if not is_blank(values):
                    yield self._checked(number), values, problem

    def _rows_in(self, data: bytes, end: int, number: int) -> Iterator[tuple[int, list[str], Invalid | None]]:
        """Every row of a chunk, blank ones too (number: the row before the chunk, for rows without one)."""
        width, columns, kinds, row_start = self.width, self.columns, self._kinds, self._row_start
        repeated, recent = self.strings.caches
        values, problem, column = None, None, -1
        for col, shared, other, attributes, value, inline, row, element in _tokens(self.prefix).findall(data, 0, end):
            if shared:
                column = columns.get(col, width)
                if column < width:
                    index = int(shared)
                    text = repeated.get(index)
                    if text is None:
                        block = recent.get(index >> BLOCK_BITS)
                        text = block[index & _MASK] if block and (index & _MASK) < len(block) else self._shared(index)
                    values[column] = text
                continue
            if row or element.startswith(row_start):
                if values is not None:
                    yield number, values, problem
                number = int(row) if row else _row_number(element, number)
                values, problem, column = [""] * width, None, -1
                continue
            if element:
                col, style, kind, content = _cell_element(element)
                column = columns.get(col, width) if col else column + 1
                if column < width:
                    values[column], found = self._cell_text(number, column, style, kind, b"", content)
                    problem = problem or found
                continue
            column = columns.get(other, width)
            if column >= width:
                continue
            if value:
                style, kind = kinds.get(attributes) or self._kind(attributes)
                values[column], found = self._cell_text(number, column, style, kind, value, b"")
                problem = problem or found
            elif inline:
                values[column] = unescape(inline.decode())
        if values is not None:
            yield number, values, problem

    def count(self) -> int:
        """How many rows rows() yields. A chunk whose rows all start with a plain value (almost every chunk)
        is counted from those first cells alone; any other is read cell by cell."""
        total, number, first, row_start = 0, 0, _first_cells(self.prefix), self._row_start
        numbered = row_start + b' r="'
        for data, end in self._chunks():
            found = first.findall(data, 0, end)
            if len(found) == data.count(row_start, 0, end) and self._all_hold_values(found):
                total += len(found)
                if found:  # rows are in ascending order, each numbered (the expression says so)
                    at = data.rfind(numbered, 0, end) + len(numbered)
                    number = self._checked(int(data[at:data.index(b'"', at)]))
                continue
            for number, values, _problem in self._rows_in(data, end, number):
                if not is_blank(values):
                    total += 1
                    self._checked(number)
        return total

    def _all_hold_values(self, found: list[tuple[bytes, bytes, bytes, bytes]]) -> bool:
        """Whether each of these first cells is a number or a non-blank shared string in one of the
        header's columns, decided a chunk at a time (a row at a time is a third of the count's time)."""
        if not self.columns.keys() >= set(map(itemgetter(0), found)) or b"" in set(map(itemgetter(2), found)):
            return False  # no plain first cell, one beyond the header, an empty <v> or an <is> (rare): cell by cell
        shared = set()
        for attributes in set(map(itemgetter(1), found)):
            kind = (self._kinds.get(attributes) or self._kind(attributes))[1]
            if kind == b"s":
                shared.add(attributes)
            elif kind not in (b"", b"n"):
                return False
        if not shared:
            return True
        indices = [int(value) for _col, attributes, value, _inline in found if attributes in shared]
        self._shared(max(indices))  # the table parsed so far, or Unreadable when it holds fewer
        return self.strings.blank.isdisjoint(indices)

    def _kind(self, attributes: bytes) -> tuple[bytes, bytes]:
        """The style and type in a cell's attributes after r (s="3" t="s"), read once per spelling."""
        found = _attributes(attributes)
        kind = self._kinds[attributes] = (found.get(b"s", b""), found.get(b"t", b""))
        return kind

    def _checked(self, number: int) -> int:
        if number > EXCEL_ROWS:
            raise TooManyRows
        return number

    def _shared(self, index: int) -> str:
        try:
            return self.strings[index]
        except MissingString as error:
            raise Unreadable(str(error)) from error

    def _cell_text(self, number: int, column: int, style: bytes, kind: bytes, value: bytes,
                   other: bytes) -> tuple[str, Invalid | None]:
        """Any cell but a plain shared or inline string: numbers and dates by their style's number format,
        booleans, error values, formulas by their saved result."""
        formula = None
        if other:
            found = _FORMULA.search(other)
            if found:
                formula = unescape((found.group(1) or b"").decode())
            found = _VALUE.search(other)
            value = found.group(1) if found else b""
            found = _INLINE.search(other)
            if found:
                return unescape(rich_text(found.group(1)).decode()), None
        if not value:
            if formula is None:
                return "", None
            return "", self._invalid("no_saved_result", number, column,
                                     f"holds a formula{f' (={formula})' if formula else ''} with no saved result: "
                                     "the file was never calculated. Open and save the file in Excel, then import "
                                     "it again.")
        if kind == b"s":
            return self._shared(int(value)), None
        text = value.decode()
        if kind in (b"", b"n"):
            try:
                return number_text(text, self._format(style), self.epoch_1904), None
            except (ValueError, OverflowError):
                return text, None
        if kind == b"b":
            return ("TRUE" if text in ("1", "true") else "FALSE"), None
        if kind == b"e":
            return text, self._invalid("cell_error", number, column,
                                       f"holds the error {text} instead of a value. Fix the formula or type the value "
                                       "in Excel, then import the row again.")
        if kind == b"d" and self._format(style).kind == "date":
            return text[:10], None
        return unescape(text), None  # "str": a formula's text result; "d": an ISO date-time as Excel wrote it

    def _format(self, style: bytes) -> NumberFormat:
        index = int(style) if style else 0
        return self.formats[index] if index < len(self.formats) else GENERAL

    def _invalid(self, code: str, number: int, column: int, says: str) -> Invalid:
        return Invalid(code, self.header[column] if column < len(self.header) else None,
                       f"Cell {column_letters(column)}{number} {says}")

    def _chunks(self) -> Iterator[tuple[bytes, int]]:
        """The XML of <sheetData> a chunk at a time: (data, end), whole rows before end."""
        prefix = self.prefix
        start_tag, row_end, data_end = b"<" + prefix + b"sheetData", b"</" + prefix + b"row>", b"</" + prefix + b"sheetData>"
        self.strings.rewind()
        with _damaged(), self.archive.open(self.part) as source:
            data = source.read(_CHUNK)
            while (start := data.find(start_tag)) < 0:
                more = source.read(_CHUNK)
                if not more:
                    return
                data = data[-len(start_tag):] + more
            data = data[start + len(start_tag):]
            if data.lstrip().startswith(b"/>"):
                return  # <sheetData/>: no rows
            while True:
                end = data.find(data_end)
                if end >= 0:
                    yield data, end
                    return
                cut = data.rfind(row_end)
                if cut >= 0:
                    cut += len(row_end)
                    yield data, cut
                    data = data[cut:]
                more = source.read(_CHUNK)
                if not more:
                    yield data, len(data)
                    return
                data += more

