"""Step 4: the preview of the mapping page: the file's first rows, and its first row as it will be imported."""
from dataclasses import dataclass

from leadcrm.imports.mapping.fields import FIELDS
from leadcrm.imports.rows import Invalid, LeadValues, compile_row_rules
from leadcrm.imports.upload import sniff, storage
from leadcrm.models import LeadImport


@dataclass(frozen=True)
class SampleRow:
    """The first data row under a mapping: each lead field with the value it gets, or why it is not imported."""

    values: list[tuple[str, str]]  # (field label, value as it will be saved)
    invalid: str = ""


def first_rows(imp: LeadImport) -> list[list[str]]:
    """The first rows of the import's file, each as wide as its header."""
    return sniff.first_rows(storage.path_of(imp.stored_name), imp.encoding, imp.delimiter)


def examples(header: list[str], rows: list[list[str]]) -> list[list[str]]:
    """For each column, its non-blank values in the first rows."""
    return [[row[i] for row in rows if row[i].strip()] for i in range(len(header))]


def sample_row(header: list[str], rows: list[list[str]], mapping: dict[str, str], defaults: dict) -> SampleRow | None:
    """The first data row through the row rules the import uses; None when the file has no rows."""
    if not rows:
        return None
    result = compile_row_rules(header, mapping, defaults)(rows[0])
    if isinstance(result, Invalid):
        return SampleRow(values=[], invalid=result.reason)
    return SampleRow(values=[(label, _shown(result, field)) for field, label in FIELDS.items()])


def _shown(lead: LeadValues, field: str) -> str:
    value = getattr(lead, field)
    if field == "tags":
        return ", ".join((value or {}).values())
    return "" if value is None else str(value)
