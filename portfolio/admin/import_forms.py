"""The forms of a CSV import of learners: the file, then the confirmation of its preview."""

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, SubmitField


class ImportForm(FlaskForm):
    file = FileField("CSV file of learners", validators=[FileRequired(
        message="Choose the CSV file of learners to import.")],
        render_kw={"accept": ".csv,text/csv"})
    submit = SubmitField("Upload and preview")


class ConfirmImportForm(FlaskForm):
    # What each row will do, as the preview showed it (importing.kinds).
    expected = HiddenField()
    submit = SubmitField("Import")
