"""The upload step's forms: the file, and the offer to read the same upload another way."""
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import HiddenField
from wtforms.validators import DataRequired


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
