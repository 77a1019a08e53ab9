from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, RadioField, SelectChoice, StringField, SubmitField
from wtforms.validators import DataRequired, Length

from ..keeping import EndReason
from ..validators import NotInFuture


class EndForm(FlaskForm):
    ended_on = DateField("When the programme ended", validators=[DataRequired(
        message="Enter the day the learner's programme ended."), NotInFuture()],
        description="The last day of learning, as in the learner's funding record. The "
                    "records are kept for the retention period after this day.")
    reason = RadioField("Why it ended", choices=[SelectChoice(r.value, r.label)
                                                 for r in EndReason],
                        validators=[DataRequired(message="Choose why the programme ended.")])
    submit = SubmitField("Save the end of the programme")


class EraseForm(FlaskForm):
    typed_name = StringField(
        "Type the learner's full name to confirm", validators=[
            DataRequired(message="Type the learner's full name to confirm which records go."),
            Length(max=120)],
        render_kw={"autocomplete": "off", "spellcheck": "false"})
    understood = BooleanField(
        "I understand that this erases these records for good and cannot be undone",
        validators=[DataRequired(message="Tick to confirm you understand the erasure cannot "
                                         "be undone.")])
    submit = SubmitField("Erase these records for good")
