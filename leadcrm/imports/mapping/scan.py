"""Step 3: what the mapping page needs to know of the whole file, not just its first rows: the distinct
values of the status column (with their counts) and which number format its amounts are written in.

Read once per column and kept on the import (scanned_values), from at most SCAN_ROWS rows so that even
a 200 MB file answers in about a second; the page says when the file has more rows than that (the
whole-file check then reports any other value).
"""
import csv
from dataclasses import dataclass
from typing import Iterator

from leadcrm.extensions import db
from leadcrm.imports.rows import is_blank
from leadcrm.imports.upload import storage
from leadcrm.imports.workbook import reader as workbook_reader
from leadcrm.imports.value_rules import number_format_votes, status_key
from leadcrm.models import LeadImport

SCAN_ROWS = 100_000
MOST_VALUES = 50  # distinct status values shown; a file with more has free text there, not statuses


@dataclass(frozen=True)
class StatusValues:
    values: list[tuple[str, int]]  # (value as first written, rows), most frequent first
    rows: int  # rows read
    complete: bool  # the whole file was read
    more: int = 0  # distinct values beyond MOST_VALUES


def status_values(imp: LeadImport, column: str) -> StatusValues:
    """The distinct values of the column (case and punctuation ignored), from the import's scan."""
    found = _scan(imp, column, "status")
    return StatusValues([tuple(pair) for pair in found["values"]], found["rows"], found["complete"], found["more"])


def number_format(imp: LeadImport, columns: list[str]) -> str | None:
    """'comma' or 'point' when the amounts of these columns are written so; None when nothing tells."""
    votes = {"point": 0, "comma": 0}
    for column in columns:
        for name, count in _scan(imp, column, "amounts")["votes"].items():
            votes[name] += count
    if votes["comma"] == votes["point"]:
        return None
    return "comma" if votes["comma"] > votes["point"] else "point"


def _scan(imp: LeadImport, column: str, what: str) -> dict:
    key = f"{what}:{column}"
    scanned = dict(imp.scanned_values or {})
    if key not in scanned:
        scanned[key] = _read(imp, imp.header.index(column), what)
        imp.scanned_values = scanned
        db.session.commit()
    return scanned[key]


def _records(imp: LeadImport) -> Iterator[list[str]]:
    """The file's records after the header: a CSV's as csv reads them, a workbook sheet's as text cells."""
    if imp.sheet is not None:
        with storage.local_file(imp.stored_name) as path:
            yield from (values for _, values, _ in workbook_reader.records(path, imp.sheet, imp.header))
        return
    with storage.open_stored_text(imp.stored_name, imp.encoding) as file:
        reader = csv.reader(file, delimiter=imp.delimiter)
        next(reader, None)
        yield from reader


def _read(imp: LeadImport, at: int, what: str) -> dict:
    counts: dict[str, list] = {}
    votes = {"point": 0, "comma": 0}
    rows, complete = 0, True
    for record in _records(imp):
        if rows == SCAN_ROWS:
            complete = False
            break
        if is_blank(record) or at >= len(record):
            continue
        rows += 1
        value = record[at].strip()
        if not value:
            continue
        if what == "amounts":
            vote = number_format_votes(value)
            if vote:
                votes[vote] += 1
        else:
            counts.setdefault(status_key(value) or value, [value, 0])[1] += 1
    ordered = sorted(counts.values(), key=lambda pair: (-pair[1], pair[0]))
    return {"values": ordered[:MOST_VALUES], "more": max(0, len(ordered) - MOST_VALUES), "votes": votes,
            "rows": rows, "complete": complete}
