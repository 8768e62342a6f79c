"""The one reader of workbook sheets: the sheets, and a sheet's rows as text cells with their Excel row
number, streamed (never the whole sheet, nor its shared strings, in memory).

Written on the standard library (zipfile, zlib, re, ElementTree) because no maintained Python reader
streams a sheet in bounded memory: openpyxl in read-only mode holds the shared strings as a Python list
(and reads a quarter as fast), python-calamine holds the whole sheet, and python-calamine-plus, which
streams the rows, holds the shared strings as Rust strings (210 MB for the benchmark's 1M-row workbook).
The engine still reads a sheet only in its parser child, so whatever goes wrong while reading fails the
import instead of taking the worker down.
"""
import zipfile
import zlib
from typing import Iterator

from leadcrm.imports.rows import Invalid
from leadcrm.imports.workbook.package import Unreadable, read_package
from leadcrm.imports.workbook.sheet_xml import Sheet, TooManyRows
from leadcrm.imports.workbook.shared_strings import SharedStrings

__all__ = ["TooManyRows", "Unreadable", "Workbook", "count_records", "first_rows", "records"]
_EXCEL_COLUMNS = 16_384


class Workbook:
    """An open workbook; its shared strings are parsed once, however many passes read its sheets."""

    def __init__(self, path):
        try:
            self.archive = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, zlib.error, OSError) as error:
            raise Unreadable(f"it is not a zip archive as Excel saves: {error}") from error
        try:
            self.package = read_package(self.archive)
        except BaseException:
            self.archive.close()
            raise
        self.strings = SharedStrings(self.archive, self.package.shared_strings)

    def __enter__(self) -> "Workbook":
        return self

    def __exit__(self, *exc) -> None:
        self.strings.close()
        self.archive.close()

    def sheet(self, name: str, width: int, header: list[str] | None = None) -> Sheet:
        package = self.package
        return Sheet(self.archive, package.sheet(name).part, self.strings, package.formats, package.epoch_1904,
                     width, header)

    def first_rows(self, sheet: str, count: int, width: int | None = None) -> list[tuple[int, list[str]]]:
        """The first `count` rows holding a value, as (Excel row number, text cells); without a width the
        header decides it: its last named column."""
        width = width or self._header_width(sheet)
        found = []
        if not width:
            return found  # an empty sheet
        for number, values, _problem in self.sheet(sheet, width).rows():
            found.append((number, values))
            if len(found) == count:
                break
        return found

    def records(self, sheet: str, header: list[str], skip: int = 0) -> Iterator[tuple[int, list[str], Invalid | None]]:
        """Like engine/reader.records for a sheet: (Excel row number, text cells, problem) for each row under
        the header that holds a value, after skipping the first `skip` (already imported)."""
        rows = self.sheet(sheet, len(header), header).rows()
        next(rows, None)  # the header row; the engine uses the header saved on the import
        seen = 0
        for row in rows:
            seen += 1
            if seen > skip:
                yield row

    def count_records(self, sheet: str, width: int) -> int:
        """How many rows records() yields."""
        return max(self.sheet(sheet, width).count() - 1, 0)  # the header row is not a record

    def _header_width(self, sheet: str) -> int:
        """How many columns the first row with a value spans, up to its last non-blank cell."""
        for _number, values, _problem in self.sheet(sheet, _EXCEL_COLUMNS).rows():
            return max(i for i, value in enumerate(values) if value and not value.isspace()) + 1
        return 0


def first_rows(path, sheet: str, count: int, width: int | None = None) -> list[tuple[int, list[str]]]:
    with Workbook(path) as book:
        return book.first_rows(sheet, count, width)


def records(path, sheet: str, header: list[str], skip: int = 0) -> Iterator[tuple[int, list[str], Invalid | None]]:
    with Workbook(path) as book:
        yield from book.records(sheet, header, skip)


def count_records(path, sheet: str, width: int) -> int:
    with Workbook(path) as book:
        return book.count_records(sheet, width)
