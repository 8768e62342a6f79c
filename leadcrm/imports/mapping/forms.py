"""The mapping step's form, built per header: a lead field for each column, and values for every row."""
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, StringField, SubmitField
from wtforms.validators import Length

from leadcrm.imports.mapping.fields import (
    DO_NOT_IMPORT,
    DO_NOT_IMPORT_LABEL,
    FIELDS,
    mapping_problems,
)
from leadcrm.models import LEAD_STATUSES

FIELD_CHOICES = [
    SelectChoice(DO_NOT_IMPORT, DO_NOT_IMPORT_LABEL),
    *(SelectChoice(field, label) for field, label in FIELDS.items()),
]
STATUS_CHOICES = [
    SelectChoice("", "From the file, else New"),
    *(SelectChoice(status, status.capitalize()) for status in LEAD_STATUSES),
]


class MappingForm(FlaskForm):
    """One select per CSV column (see for_header) and the values for every row of the import."""

    source = StringField("Source", validators=[Length(max=255)], description="e.g. Trade show 2026")
    status = SelectField("Status", choices=STATUS_CHOICES, default="")
    tags = StringField("Tags to add", validators=[Length(max=1000)], description="Comma-separated, e.g. imported-nov")
    preview = SubmitField("Update sample row")
    start = SubmitField("Start Import")

    header: list[str] = []

    @classmethod
    def for_header(cls, header: list[str], mapping: dict[str, str]) -> "MappingForm":
        """The form for a file with this header: select col_<i> is labelled with column i's name."""
        selects = {
            f"col_{i}": SelectField(column, choices=FIELD_CHOICES, default=mapping.get(column, DO_NOT_IMPORT))
            for i, column in enumerate(header)
        }
        return type("MappingForm", (cls,), {**selects, "header": header})()

    def column_fields(self) -> list:
        return [self[f"col_{i}"] for i in range(len(self.header))]

    def mapping(self) -> dict[str, str]:
        return {column: field.data or DO_NOT_IMPORT for column, field in zip(self.header, self.column_fields())}

    def defaults(self) -> dict:
        tags = [name.strip() for name in (self.tags.data or "").split(",") if name.strip()]
        return {"source": (self.source.data or "").strip(), "status": self.status.data or "", "tags": tags}

    def validate(self, extra_validators=None) -> bool:
        """The fields, then the mapping as a whole: a lead field may take only one column."""
        valid = super().validate(extra_validators)
        self.form_errors.extend(mapping_problems(self.mapping()))
        return valid and not self.form_errors
