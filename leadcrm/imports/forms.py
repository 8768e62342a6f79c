"""The wizard's forms: upload, the offer to read a file another way, and the mapping built per header."""
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import HiddenField, SelectChoice, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length

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


class UploadForm(FlaskForm):
    file = FileField(
        "CSV file",
        validators=[
            FileRequired("Choose a CSV file to upload."),
            FileAllowed(
                ["csv", "tsv", "txt"],
                "Only .csv, .tsv and .txt files can be imported. "
                "For an Excel workbook use File → Save As → CSV UTF-8 first.",
            ),
        ],
    )


class OfferForm(FlaskForm):
    """The upload page's button that checks the same upload again with another encoding or delimiter."""

    upload = HiddenField(validators=[DataRequired()])


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
