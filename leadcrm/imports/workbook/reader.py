"""The one reader of workbook sheets: the sheets, and a sheet's rows as text cells with their Excel row
number, streamed (never the whole sheet in memory) through python-calamine-plus.

python-calamine-plus is a young fork of python-calamine (one maintainer) that streams rows in constant
memory; it is pinned and only this module imports it, so a maintained fallback (openpyxl in read-only
mode with reset_dimensions(), about 4 times slower) needs only these functions. It is native code: the
engine calls it in its forked parser child, so a crash there fails the import instead of the worker.
Only the header's columns are read (max_col): a stray value in XFD1048576 never pads rows to 16,384 cells.
"""
from dataclasses import dataclass
from typing import Iterator

import python_calamine_plus as calamine

from leadcrm.imports.rows import Invalid, is_blank
from leadcrm.imports.workbook.cells import column_letters, text_of

EXCEL_ROWS = 1_048_576


class Unreadable(Exception):
    """The workbook cannot be read; the message says why."""


class TooManyRows(Exception):
    """A sheet holds rows beyond Excel's last row (a file written by a program, not by Excel)."""

    def __init__(self, message: str = f"The sheet has rows beyond row {EXCEL_ROWS:,}, the last row Excel "
                 "allows. Split it into sheets or files of at most that many rows and import each."):
        super().__init__(message)


@dataclass(frozen=True)
class SheetInfo:
    name: str
    hidden: bool


def _open(path) -> calamine.CalamineWorkbook:
    try:
        return calamine.CalamineWorkbook.from_path(str(path))
    except calamine.PasswordError as error:
        raise Unreadable("password") from error
    except (calamine.CalamineError, OSError, ValueError) as error:
        raise Unreadable(str(error)) from error


def sheets(path) -> list[SheetInfo]:
    """The workbook's worksheets in workbook order (chart and macro sheets left out)."""
    book = _open(path)
    return [SheetInfo(meta.name, meta.visible != calamine.SheetVisibleEnum.Visible)
            for meta in book.sheets_metadata if meta.typ == calamine.SheetTypeEnum.WorkSheet]


def _stream(path, sheet: str, rich: bool, width: int | None = None):
    try:
        book = _open(path)
        return book.stream_sheet_by_name(sheet, rich=rich, max_col=None if width is None else width - 1)
    except calamine.CalamineError as error:
        raise Unreadable(str(error)) from error


def first_rows(path, sheet: str, count: int, width: int | None = None) -> list[tuple[int, list[str]]]:
    """The first `count` rows holding a value, as (Excel row number, text cells); without a width the
    header decides it: its last named column."""
    found = []
    width = width or _header_width(path, sheet)
    if not width:
        return found  # an empty sheet
    for number, values, _problem in _rows(path, sheet, [], width):
        found.append((number, values))
        if len(found) == count:
            break
    return found


def _header_width(path, sheet: str) -> int:
    """How many columns the first row with a value spans, up to its last non-blank cell."""
    for row in _stream(path, sheet, rich=False):
        filled = [i for i, value in enumerate(row) if type(value) is not str or value.strip()]
        if filled:
            return filled[-1] + 1
    return 0


def records(path, sheet: str, header: list[str], skip: int = 0) -> Iterator[tuple[int, list[str], Invalid | None]]:
    """Like engine/reader.records for a sheet: (Excel row number, text cells, problem) for each row under
    the header that holds a value, after skipping the first `skip` (already imported)."""
    rows = _rows(path, sheet, header, len(header))
    next(rows, None)  # the header row; the engine uses the header saved on the import
    seen = 0
    for row in rows:
        seen += 1
        if seen > skip:
            yield row


def count_records(path, sheet: str, width: int) -> int:
    """What records() yields, counted on plain values (about twice as fast as the cells records() reads)."""
    total = -1  # the header row
    for number, row in enumerate(_stream(path, sheet, rich=False, width=width), 1):
        for value in row:
            if type(value) is not str or value.strip():
                total += 1
                if number > EXCEL_ROWS:
                    raise TooManyRows
                break
    return max(total, 0)


def _rows(path, sheet: str, header: list[str], width: int) -> Iterator[tuple[int, list[str], Invalid | None]]:
    formats: dict[int, str | None] = {}  # style id → number format, looked up once per style
    for cells in _stream(path, sheet, rich=True, width=width):
        if not cells:
            continue
        values, problem = [], None
        for cell in cells:
            value = cell.value
            if type(value) is str:
                if value == "" and problem is None and cell.formula:
                    problem = _no_result(cell, header)
                elif value[:1] == "#" and problem is None and cell.data_type == "e":
                    problem = _error(cell, value, header)
                values.append(value)
                continue
            style = cell.style_id
            if style not in formats:
                formats[style] = (cell.style or {}).get("number_format")
            values.append(text_of(value, formats[style]))
        if is_blank(values):
            continue  # formulas without a saved result are no value: not a row, as count_records says
        number = cells[0].row + 1
        if number > EXCEL_ROWS:
            raise TooManyRows
        values.extend([""] * (width - len(values)))
        yield number, values, problem


def _column(cell, header: list[str]) -> str | None:
    return header[cell.column] if cell.column < len(header) else None


def _error(cell, value: str, header: list[str]) -> Invalid:
    name = f"{column_letters(cell.column)}{cell.row + 1}"
    return Invalid("cell_error", _column(cell, header),
                   f"Cell {name} holds the error {value} instead of a value. Fix the formula or type the value "
                   "in Excel, then import the row again.")


def _no_result(cell, header: list[str]) -> Invalid:
    name = f"{column_letters(cell.column)}{cell.row + 1}"
    return Invalid("no_saved_result", _column(cell, header),
                   f"Cell {name} holds a formula ({cell.formula}) with no saved result: the file was never "
                   "calculated. Open and save the file in Excel, then import it again.")
