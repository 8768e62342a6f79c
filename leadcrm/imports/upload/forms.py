"""The upload step's forms: the file, and the offer to read the same upload another way."""
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import HiddenField
from wtforms.validators import DataRequired


class UploadForm(FlaskForm):
    file = FileField(
        "CSV file or Excel workbook",
        validators=[
            FileRequired("Choose a CSV file or an Excel workbook to upload."),
            FileAllowed(
                ["csv", "tsv", "txt", "xlsx", "xlsm"],
                "Only .csv, .tsv, .txt, .xlsx and .xlsm files can be imported. "
                "For an Excel 97-2003 (.xls) or OpenDocument (.ods) file, save it as .xlsx first.",
            ),
        ],
    )


class OfferForm(FlaskForm):
    """The upload page's button that checks the same upload again with another encoding, delimiter or sheet."""

    upload = HiddenField(validators=[DataRequired()])
