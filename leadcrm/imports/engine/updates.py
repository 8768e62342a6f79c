"""Update mode: an existing lead's new values from a row, field by field, and what changes (before →
after). Pure Python over what the bulk writer read; the import writes the result, the check counts it.

The rules, for each lead field the mapping names (others are never touched):
- a cell with a value sets the field; the import's values for every row (source, status, tags) apply
  where the cell is blank, as for new leads;
- a blank cell leaves the field, or clears it when the import clears blanks (a status is never cleared:
  every lead has one);
- tags are added to the lead's, or replace them when the import replaces tags (a blank tags cell then
  leaves them, or clears them to the import's own tags when blanks are cleared).
"""
import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple

from leadcrm.imports.engine.batches import LEAD_COLUMNS, LEAD_WIDTH, Batch
from leadcrm.imports.mapping.fields import FIELDS
from leadcrm.imports.rows import field_bit, split_tags

# The lead's fields an update may change, in the order the list of changes shows them.
UPDATABLE = ("first_name", "last_name", "phone", "company", "status", "source", "lead_score", "deal_value",
             "notes", "tags")
# The lead table's columns an update writes, after the lead's id (the bulk writers' update_leads rows).
UPDATED_COLUMNS = ("first_name", "last_name", "phone", "company_id", "status", "source", "lead_score", "deal_value",
                   "notes")
_TEXT = ("first_name", "last_name", "phone", "notes")
_AT = {name: LEAD_COLUMNS.index(name) for name in LEAD_COLUMNS}


class Current(NamedTuple):
    """An existing lead as the bulk writer reads it, with its company's name and key."""

    id: int
    first_name: str
    last_name: str
    phone: str
    company_id: int | None
    company_name: str | None
    company_key: str | None
    status: str
    source: str
    lead_score: int | None
    deal_value: object  # Decimal (PostgreSQL) or float (SQLite) or None
    notes: str


class Change(NamedTuple):
    field: str
    before: object  # JSON values: text, a whole number, an amount "1234.50", a company name, tag names
    after: object


@dataclass(slots=True)
class LeadUpdate:
    """What a row changes on one lead: the lead's updatable columns after it, and the changes."""

    lead_id: int
    line: int
    columns: dict  # UPDATED_COLUMNS; company_id is None for a company to set by key (company_key)
    changes: list[Change]
    company_key: str | None = None  # the company the row names, when it changes (the writer resolves its id)
    tags_removed: list[int] = field(default_factory=list)  # tag ids
    tags_added: list[str] = field(default_factory=list)  # tag keys


def amount(value) -> str | None:
    """An amount as the numeric(14, 2) column holds it, the same text on both engines."""
    return None if value is None else f"{Decimal(str(value)):.2f}"


def changes_json(change: Change) -> tuple[str, str]:
    return json.dumps(change.before, ensure_ascii=False), json.dumps(change.after, ensure_ascii=False)


class Planner:
    """Plans the updates of one import's matched rows."""

    def __init__(self, mapping: dict, defaults: dict | None, blank_cells: str, tag_mode: str):
        defaults = defaults or {}
        self.mapped = {f for f in (mapping or {}).values() if f in FIELDS}
        self.clear = blank_cells == "clear"
        self.replace_tags = tag_mode == "replace"
        self.default_source = bool((defaults.get("source") or "").strip())
        self.default_status = bool((defaults.get("status") or "").strip())
        self.default_tags = set(split_tags(", ".join(defaults.get("tags") or [])))

    def plan(self, batch: Batch, line: int, start: int, given: int, row_tags: list[str], current: Current,
             current_tags: dict[str, tuple[int, str]]) -> LeadUpdate | None:
        """The update of `current` by the row on `line` (its lead at `start` in batch.leads); None when
        nothing changes."""
        row = batch.leads[start:start + LEAD_WIDTH]
        update = LeadUpdate(current.id, line, {}, [])
        for name in _TEXT:
            before = getattr(current, name)
            _set(update, name, before, self._value(name, given, row[_AT[name]], "", before))
        for name, has_default in (("status", self.default_status), ("source", self.default_source)):
            before = getattr(current, name)
            if given & field_bit(name) or has_default:
                after = row[_AT[name]]  # the cell's value, or the import's where the cell is blank
            elif name == "source":
                after = self._value(name, given, "", "", before)
            else:
                after = before  # a status is never cleared
            _set(update, name, before, after)
        _set(update, "lead_score", current.lead_score,
             self._value("lead_score", given, row[_AT["lead_score"]], None, current.lead_score))
        before = amount(current.deal_value)
        _set(update, "deal_value", before, self._value("deal_value", given, amount(row[_AT["deal_value"]]), None, before))
        self._company(batch, given, row, current, update)
        self._tags(batch, given, row_tags, current_tags, update)
        return update if update.changes else None

    def _value(self, name: str, given: int, value, cleared, before):
        if given & field_bit(name):
            return value
        if self.clear and name in self.mapped:
            return cleared
        return before

    def _company(self, batch: Batch, given: int, row: list, current: Current, update: LeadUpdate) -> None:
        # The batch carries the company's key where the lead table has its id.
        key = self._value("company", given, row[_AT["company_id"]], None, current.company_key)
        update.columns["company_id"] = current.company_id
        if key != current.company_key:
            update.columns["company_id"] = None
            update.company_key = key
            update.changes.append(Change("company", current.company_name, batch.companies[key] if key else None))

    def _tags(self, batch: Batch, given: int, row_tags: list[str], current_tags: dict[str, tuple[int, str]],
              update: LeadUpdate) -> None:
        before = set(current_tags)
        if not self.replace_tags:
            after = before | set(row_tags)
        elif given & field_bit("tags"):
            after = set(row_tags)
        elif self.clear and "tags" in self.mapped:
            after = set(self.default_tags)
        else:
            after = before | set(row_tags)
        if after == before:
            return
        update.tags_removed = [current_tags[key][0] for key in sorted(before - after)]
        update.tags_added = sorted(after - before)

        def names(keys):
            return [current_tags[key][1] if key in current_tags else batch.tags[key] for key in sorted(keys)]

        update.changes.append(Change("tags", names(before), names(after)))


def _set(update: LeadUpdate, name: str, before, after) -> None:
    update.columns[name] = after
    if after != before:
        update.changes.append(Change(name, before, after))
