"""A workbook cell as the text a person saw in Excel, so that the row rules read it as they read CSV.

Applied once, by the reader: whole numbers without ".0", other numbers in plain decimal with Excel's
15 significant digits (0.3, not 0.30000000000000004; 0.000012, not 1.2e-05), a zero-padded format such
as 00000 padded (ZIP 02134), dates and date-times in ISO, booleans TRUE/FALSE.
"""
import datetime
import re
from decimal import Decimal

_ZEROS = re.compile(r"0+")


def column_letters(index: int) -> str:
    """Excel's name of a 0-based column: 0 → A, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def text_of(value, number_format: str | None = None) -> str:
    """The cell's value as text; number_format is the cell's (e.g. "00000"), None when unknown."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        return _number(value, number_format)
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, datetime.timedelta):
        return str(value)
    return "" if value is None else str(value)


def _number(value: int | float, number_format: str | None) -> str:
    if isinstance(value, float) and not value.is_integer():
        # Excel keeps 15 significant digits; the float's 17 show noise that nobody typed.
        text = format(Decimal(f"{value:.15g}"), "f")
        return text.rstrip("0").rstrip(".") if "." in text else text
    text = str(int(value))
    if number_format and _ZEROS.fullmatch(number_format) and value >= 0:
        return text.zfill(len(number_format))
    return text
