from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, RadioField, SelectChoice, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from ..models import RiskRating, SampleOutcome


class RiskForm(FlaskForm):
    rating = RadioField("Risk rating", validators=[DataRequired(message="Choose a rating.")],
                        choices=[SelectChoice(r.value, r.label) for r in RiskRating])
    reasons = TextAreaField(
        "Reasons", validators=[DataRequired(message="Give the reasons for the rating."),
                               Length(max=2000)],
        description="For example: first year assessing; new to this unit; two referred "
                    "samples last term; an EQA action.")
    submit = SubmitField("Save rating")


class AddForm(FlaskForm):
    portfolio_id = HiddenField()
    reason = HiddenField()
    submit = SubmitField("Add to plan")


class SampleForm(FlaskForm):
    """The sample record. The agree/disagree answer per decision is read from the form by
    decision id (agree-<id>, comment-<id>), since the decisions vary per portfolio."""

    outcome = RadioField(
        "Outcome", validators=[DataRequired(message="Choose the outcome.")],
        choices=[SelectChoice(SampleOutcome.UPHELD.value,
                              "Decisions upheld: the assessment is sound"),
                 SelectChoice(SampleOutcome.ACTION_REQUIRED.value,
                              "Action required: the assessor must act before this stands")])
    feedback = TextAreaField(
        "Feedback to the assessor", validators=[DataRequired(
            message="Write your feedback to the assessor."), Length(max=5000)],
        description="What was good, and what to develop. The assessor, the administrator "
                    "and the EQA read it; the learner does not.")
    actions = TextAreaField(
        "Actions for the assessor (one per line)", validators=[Length(max=5000)],
        description="Needed for “action required”. For example: obtain a witness "
                    "testimony from the line manager for AC 2.9.")
    due = DateField("Actions due by", validators=[Optional()])
    submit = SubmitField("Record the sample")


class AnswerForm(FlaskForm):
    response = TextAreaField(
        "Your answer", validators=[DataRequired(message="Write what you have done."),
                                   Length(max=5000)])
    submit = SubmitField("Send answer")
