"""A workbook cell as the text a person saw in Excel, so that the row rules read it as they read CSV.

Applied once, by the reader: whole numbers without ".0", other numbers in plain decimal with Excel's
15 significant digits (0.3, not 0.30000000000000004; 0.000012, not 1.2e-05), a zero-padded format such
as 00000 padded (ZIP 02134), dates, date-times and times in ISO.
"""
import datetime
from decimal import Decimal

from leadcrm.imports.workbook.formats import GENERAL, NumberFormat

_MS_PER_DAY = 86_400_000
# Day 1 is 1900-01-01 and Excel counts a 29 February 1900 that never was (day 60), as Lotus 1-2-3 did:
# from day 61 on, days count from 1899-12-30.
_EPOCH_1900 = datetime.datetime(1899, 12, 30)
_EPOCH_1904 = datetime.datetime(1904, 1, 1)


def column_letters(index: int) -> str:
    """Excel's name of a 0-based column: 0 → A, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _number(value: int | float, padded_to: int) -> str:
    if isinstance(value, float) and not value.is_integer():
        # Excel keeps 15 significant digits; the float's 17 show noise that nobody typed.
        text = format(Decimal(f"{value:.15g}"), "f")
        return text.rstrip("0").rstrip(".") if "." in text else text
    text = str(int(value))
    return text.zfill(padded_to) if value >= 0 else text


def number_text(raw: str, number_format: NumberFormat = GENERAL, epoch_1904: bool = False) -> str:
    """A number cell's stored value (its <v> text) as text: a date or time when its format shows one."""
    if number_format.kind is None:
        if raw.isdigit() and not number_format.padded_to:
            return raw
        value = float(raw)
        return _number(int(value) if value.is_integer() else value, number_format.padded_to)
    return date_text(float(raw), number_format.kind, epoch_1904)


def date_text(serial: float, kind: str, epoch_1904: bool = False) -> str:
    """A date serial as its ISO date, date-time or time, as the format shows it (to the second, or the
    millisecond when it has one); an elapsed time ([h]:mm) as hours:minutes:seconds."""
    milliseconds = round(serial * _MS_PER_DAY)
    if kind == "elapsed":
        seconds = milliseconds // 1000
        return f"{seconds // 3600}:{seconds // 60 % 60:02}:{seconds % 60:02}"
    if kind == "time":
        moment = datetime.datetime.min + datetime.timedelta(milliseconds=milliseconds % _MS_PER_DAY)
        return _iso(moment.time())
    if epoch_1904:
        moment = _EPOCH_1904 + datetime.timedelta(milliseconds=milliseconds)
    elif milliseconds < 61 * _MS_PER_DAY:
        moment = _EPOCH_1900 + datetime.timedelta(milliseconds=milliseconds + _MS_PER_DAY)
    else:
        moment = _EPOCH_1900 + datetime.timedelta(milliseconds=milliseconds)
    return moment.date().isoformat() if kind == "date" else _iso(moment)


def _iso(moment: datetime.datetime | datetime.time) -> str:
    return moment.isoformat(timespec="milliseconds" if moment.microsecond else "seconds")
