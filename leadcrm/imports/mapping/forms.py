"""The mapping step's form, built per header: a lead field for each column, and values for every row."""
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SelectChoice, SelectField, StringField, SubmitField
from wtforms.validators import Length

from leadcrm.imports.mapping.fields import (
    DO_NOT_IMPORT,
    DO_NOT_IMPORT_LABEL,
    FIELDS,
    column_problems,
    mapping_problems,
)
from leadcrm.imports.value_rules import (
    NUMBER_EXAMPLES,
    NUMBER_FORMATS,
    SKIP_ROW,
    USE_DEFAULT,
    status_key,
    status_reading,
)
from leadcrm.models import BLANK_CELLS, EXISTING_LEADS, LEAD_STATUSES, TAG_MODES

FIELD_CHOICES = [
    SelectChoice(DO_NOT_IMPORT, DO_NOT_IMPORT_LABEL),
    *(SelectChoice(field, label) for field, label in FIELDS.items()),
]
STATUS_CHOICES = [
    SelectChoice("", "From the file, else New"),
    *(SelectChoice(status, status.capitalize()) for status in LEAD_STATUSES),
]


STATUS_READINGS = [
    *(SelectChoice(status, status.capitalize()) for status in LEAD_STATUSES),
    SelectChoice(USE_DEFAULT, "Use the default status"),
    SelectChoice(SKIP_ROW, "Skip the row (invalid)"),
]
NUMBER_CHOICES = [SelectChoice(name, f"{NUMBER_EXAMPLES[name]} ({'decimal ' + ('point' if name == 'point' else 'comma')})")
                  for name in NUMBER_FORMATS]
CHOICES = ("existing_leads", "blank_cells", "tag_mode")
DEFAULT_CHOICES = {"existing_leads": EXISTING_LEADS[0], "blank_cells": BLANK_CELLS[0], "tag_mode": TAG_MODES[0]}


class MappingForm(FlaskForm):
    """One select per CSV column (see for_header), the values for every row, and what to do with leads
    that exist already."""

    source = StringField("Source", validators=[Length(max=255)], description="e.g. Trade show 2026")
    status = SelectField("Status", choices=STATUS_CHOICES, default="")
    tags = StringField("Tags to add", validators=[Length(max=1000)], description="Comma-separated, e.g. imported-nov")
    existing_leads = RadioField("Leads that already exist in this workspace (same email)", default="skip", choices=[
        SelectChoice("skip", "Skip them: the file's row is not imported"),
        SelectChoice("update", "Update them with this file's values"),
    ])
    blank_cells = RadioField("Blank cells", default="leave", choices=[
        SelectChoice("leave", "Leave the lead's value: a blank cell changes nothing"),
        SelectChoice("clear", "Clear the lead's value: a blank cell empties the field"),
    ])
    tag_mode = RadioField("Tags", default="add", choices=[
        SelectChoice("add", "Add the file's tags to the lead's"),
        SelectChoice("replace", "Replace the lead's tags with the file's"),
    ])
    number_format = SelectField("Numbers in this file are written as", choices=NUMBER_CHOICES, default="point")
    # The amount columns the number format was chosen for: mapping another one detects it again.
    number_format_columns = HiddenField()
    preview = SubmitField("Update sample row")
    check = SubmitField("Check the whole file")
    start = SubmitField("Start Import")

    header: list[str] = []
    status_values: list[tuple[str, int]] = []

    @classmethod
    def for_header(cls, header: list[str], mapping: dict[str, str], defaults: dict | None = None,
                   choices: dict | None = None, status_values: list[tuple[str, int]] = (),
                   number_format: str | None = None) -> "MappingForm":
        """The form for a file with this header (select col_<i> is labelled with column i's name), filled
        with this mapping, values for every row and choices unless the request posts its own.

        status_values: the distinct values of the status column, each with a select sv_<status key> of how
        it reads (the one chosen before, else the status or status word it is, else skip the row);
        number_format: the format the amounts of the mapped amount columns are detected in, unless one was
        chosen before for those columns.
        """
        selects = {
            f"col_{i}": SelectField(column, choices=FIELD_CHOICES, default=mapping.get(column, DO_NOT_IMPORT))
            for i, column in enumerate(header)
        }
        choices, defaults = choices or {}, defaults or {}
        rules = choices.get("rules") or {}
        chosen = rules.get("status_values") or {}
        readings = {f"sv_{status_key(value)}": SelectField(value, choices=STATUS_READINGS,
                                                            default=status_reading(value, chosen) or SKIP_ROW)
                    for value, _ in status_values if status_key(value)}
        data = {**DEFAULT_CHOICES, **{name: choices[name] for name in CHOICES if name in choices},
                "number_format": rules.get("number_format") or number_format or "point",
                "source": defaults.get("source", ""), "status": defaults.get("status", ""),
                "tags": ", ".join(defaults.get("tags") or [])}
        attributes = {**selects, **readings, "header": header, "status_values": list(status_values)}
        form = type("MappingForm", (cls,), attributes)(data=data)
        amount_columns = "|".join(column for column in (form.column_of("deal_value"), form.column_of("lead_score"))
                                  if column)
        if form.is_submitted() and form.number_format_columns.data != amount_columns:
            form.number_format.data = number_format or "point"
        form.number_format_columns.data = amount_columns
        return form

    def column_fields(self) -> list:
        return [self[f"col_{i}"] for i in range(len(self.header))]

    def mapping(self) -> dict[str, str]:
        return {column: field.data or DO_NOT_IMPORT for column, field in zip(self.header, self.column_fields())}

    def mapped_count(self) -> int:
        """How many columns will be imported."""
        return sum(1 for field in self.mapping().values() if field != DO_NOT_IMPORT)

    def column_rows(self) -> list[tuple]:
        """Each column's select with its index and the problem to show next to it: (index, select, problem)."""
        problems = column_problems(self.mapping())
        return [(i, select, problems.get(column, "")) for i, (column, select)
                in enumerate(zip(self.header, self.column_fields()))]

    def column_of(self, field: str) -> str | None:
        """The column mapped to this lead field, if one is."""
        return next((column for column, chosen in self.mapping().items() if chosen == field), None)

    def reading_fields(self) -> list:
        """The status value selects, with each value's rows: (select, rows)."""
        return [(self[f"sv_{status_key(value)}"], rows) for value, rows in self.status_values if status_key(value)]

    def defaults(self) -> dict:
        tags = [name.strip() for name in (self.tags.data or "").replace(";", ",").split(",") if name.strip()]
        return {"source": (self.source.data or "").strip(), "status": self.status.data or "", "tags": tags}

    def choices(self) -> dict:
        """What to do with existing leads, and how the file's values read (rules)."""
        readings = {select.name[3:]: select.data for select, _ in self.reading_fields()}
        rules = {"status_values": readings, "number_format": self.number_format.data or "point"}
        return {**{name: self[name].data or DEFAULT_CHOICES[name] for name in CHOICES}, "rules": rules}

    def validate(self, extra_validators=None) -> bool:
        """The fields, then the mapping as a whole: a lead field may take only one column."""
        valid = super().validate(extra_validators)
        self.form_errors.extend(mapping_problems(self.mapping()))
        return valid and not self.form_errors