"""Step 4: the preview of the mapping page: the file's first rows, and its first row as it will be imported."""
from dataclasses import dataclass
from decimal import Decimal

from leadcrm.imports.mapping.fields import FIELDS
from leadcrm.imports.rows import Invalid, LeadRow, compile_row_rules
from leadcrm.imports.upload import sample, storage
from leadcrm.models import LeadImport


@dataclass(frozen=True)
class SampleRow:
    """The first data row under a mapping: each lead field with the value it gets, or why it is not imported."""

    values: list[tuple[str, str]]  # (field label, value as it will be saved)
    invalid: str = ""


def first_rows(imp: LeadImport, count: int = sample.PREVIEW_ROWS) -> list[list[str]]:
    """The first data rows of the import's file, each as wide as its header, read from its start only."""
    data, truncated = sample.read_start(storage.path_of(imp.stored_name))
    text = sample.decode_start(data, truncated, imp.encoding, errors="replace")
    return sample.data_rows(sample.parse(text, truncated, imp.delimiter))[:count]


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


def _shown(lead: LeadRow, field: str) -> str:
    value = getattr(lead, field)
    if field == "tags":
        return ", ".join((value or {}).values())
    if field == "deal_value" and value is not None:
        return str(Decimal(value).quantize(Decimal("0.01")))  # as the numeric(14, 2) column will hold it
    return "" if value is None else str(value)
