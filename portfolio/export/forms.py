from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import SubmitField


class VerifyForm(FlaskForm):
    file = FileField("Portfolio PDF", validators=[FileRequired(
        message="Choose the PDF file to check.")],
        description="A portfolio PDF exported from this app. Nothing is stored: the file is "
                    "checked and discarded.", render_kw={"accept": ".pdf,application/pdf"})
    submit = SubmitField("Check the file")
