from flask_wtf import FlaskForm
from wtforms import RadioField, SelectChoice, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError


class DecisionForm(FlaskForm):
    outcome = RadioField(
        "Decision", validators=[DataRequired(message="Choose accept or refer.")],
        choices=[SelectChoice("accepted", "Accept: this evidence meets the criterion"),
                 SelectChoice("referred", "Refer: something is missing")])
    feedback = TextAreaField(
        "Feedback to the learner", validators=[Length(max=5000)],
        description="Needed when you refer: say what is missing and what would meet it.")
    submit = SubmitField("Record decision")

    def validate_feedback(self, field):
        if self.outcome.data == "referred" and not (field.data or "").strip():
            raise ValidationError("Say what is missing when you refer a claim.")
