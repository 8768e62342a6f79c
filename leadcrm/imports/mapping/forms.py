"""The mapping step's form, built per header: a lead field for each column, and values for every row."""
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectChoice, SelectField, StringField, SubmitField
from wtforms.validators import Length

from leadcrm.imports.mapping.fields import (
    DO_NOT_IMPORT,
    DO_NOT_IMPORT_LABEL,
    FIELDS,
    mapping_problems,
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
    preview = SubmitField("Update sample row")
    check = SubmitField("Check the whole file")
    start = SubmitField("Start Import")

    header: list[str] = []

    @classmethod
    def for_header(cls, header: list[str], mapping: dict[str, str], defaults: dict | None = None,
                   choices: dict | None = None) -> "MappingForm":
        """The form for a file with this header (select col_<i> is labelled with column i's name), filled
        with this mapping, values for every row and choices unless the request posts its own."""
        selects = {
            f"col_{i}": SelectField(column, choices=FIELD_CHOICES, default=mapping.get(column, DO_NOT_IMPORT))
            for i, column in enumerate(header)
        }
        defaults = defaults or {}
        data = {**DEFAULT_CHOICES, **(choices or {}), "source": defaults.get("source", ""),
                "status": defaults.get("status", ""), "tags": ", ".join(defaults.get("tags") or [])}
        return type("MappingForm", (cls,), {**selects, "header": header})(data=data)

    def column_fields(self) -> list:
        return [self[f"col_{i}"] for i in range(len(self.header))]

    def mapping(self) -> dict[str, str]:
        return {column: field.data or DO_NOT_IMPORT for column, field in zip(self.header, self.column_fields())}

    def defaults(self) -> dict:
        tags = [name.strip() for name in (self.tags.data or "").split(",") if name.strip()]
        return {"source": (self.source.data or "").strip(), "status": self.status.data or "", "tags": tags}

    def choices(self) -> dict[str, str]:
        return {name: self[name].data or DEFAULT_CHOICES[name] for name in CHOICES}

    def validate(self, extra_validators=None) -> bool:
        """The fields, then the mapping as a whole: a lead field may take only one column."""
        valid = super().validate(extra_validators)
        self.form_errors.extend(mapping_problems(self.mapping()))
        return valid and not self.form_errors