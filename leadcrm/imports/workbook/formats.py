"""Number formats: which cell styles show a number as a date, a time or a zero-padded code.

A workbook stores a date as a number (days since 1900 or 1904) and tells it apart only by its cell's number
format: one of Excel's built-in format ids, or a format code of its own (styles.xml).
"""
import re
from dataclasses import dataclass

# Excel's built-in number formats that show dates and times (ECMA-376 part 1, 18.8.30); the other ids below
# 164 show plain numbers.
_BUILTIN_KINDS = {
    **{i: "date" for i in (14, 15, 16, 17, *range(27, 37), *range(50, 59))},
    **{i: "time" for i in (18, 19, 20, 21, 45, 47)},
    22: "datetime",
    46: "elapsed",
}
# Parts of a format code that are not date or time letters: quoted text, escaped characters, colours and
# locale tags in brackets (but [h], [m], [s] are elapsed time), padding and repeats.
_NOT_TOKENS = re.compile(r'"[^"]*"|\\.|_.|\*.|\[(?![hms]+\])[^\]]*\]', re.I)
_ZEROS = re.compile(r"0+")


@dataclass(frozen=True)
class NumberFormat:
    """kind: None (a number), "date", "datetime", "time" or "elapsed"; padded_to: the width of a
    zero-padded code such as 00000 (ZIP 02134), else 0."""

    kind: str | None = None
    padded_to: int = 0


GENERAL = NumberFormat()


def number_format(format_id: int, custom: dict[int, str]) -> NumberFormat:
    """The format of a style whose numFmtId is format_id; custom holds the workbook's own codes by id."""
    code = custom.get(format_id)
    if code is None:
        return NumberFormat(_BUILTIN_KINDS.get(format_id))
    return NumberFormat(kind_of_code(code), len(code) if _ZEROS.fullmatch(code) else 0)


def kind_of_code(code: str) -> str | None:
    """What a format code shows: its first section (for positive numbers) decides."""
    section = _NOT_TOKENS.sub("", code.split(";")[0]).lower()
    if section.startswith("[") and section[1:2] in "hms" and section[1:2]:
        return "elapsed"
    has_date = "y" in section or "d" in section
    has_time = "h" in section or "s" in section
    if "m" in section and not has_date and not has_time:
        has_date = True  # "mmm yyyy" has y; "mmm" alone is a month
    if has_date and has_time:
        return "datetime"
    if has_date:
        return "date"
    return "time" if has_time else None
