from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from ..spec import Method, Unit
from ..validators import NotInFuture


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


class AddClaimForm(FlaskForm):
    """The assessor tags evidence to a criterion the learner missed."""

    criterion = SelectField("Criterion", validators=[DataRequired(message="Choose a criterion.")])
    rationale = TextAreaField(
        "Where and how this evidence meets it", validators=[DataRequired(
            message="Say where and how the evidence meets the criterion."), Length(max=5000)],
        description="The learner sees that you added this claim, and why.")
    submit = SubmitField("Add claim")

    def set_criteria(self, unit: Unit, claimed: set[str]) -> None:
        self.criterion.choices = [SelectChoice("", "Choose a criterion")] + [
            SelectChoice(c.id, f"AC {c.id} {c.text}") for c in unit.criteria
            if c.id not in claimed]


class ResponseForm(FlaskForm):
    """The learner's answer to an assessor's record."""

    response = RadioField(
        "Is this an accurate record?",
        validators=[DataRequired(message="Choose confirm or dispute.")],
        choices=[SelectChoice("confirmed", "Yes: I confirm this is an accurate record"),
                 SelectChoice("disputed", "No: I dispute it")])
    comment = TextAreaField(
        "Comment", validators=[Length(max=5000)],
        description="Needed if you dispute the record: say what is wrong or missing.")
    submit = SubmitField("Send my answer")

    def validate_comment(self, field):
        if self.response.data == "disputed" and not (field.data or "").strip():
            raise ValidationError("Say what is wrong with the record when you dispute it.")


def criterion_key(criterion_id: str) -> str:
    return criterion_id.replace(".", "_")


def record_form(unit: Unit, method: Method, fixed: set[str] = frozenset(), formdata=None,
                obj=None, data=None):
    """The assessor's record of an observation or a professional discussion.

    The fields follow the method's record type; every criterion of the unit has a tick box
    ("observed" / "discussed") and a notes box. `fixed` holds criteria already recorded and
    judged: they stay ticked (withdraw one by referring its claim on the record's page).
    """
    observation = method.record == "observation"
    seen = "observed" if observation else "covered in the discussion"

    class RecordForm(FlaskForm):
        dated = DateField("Date", validators=[DataRequired(), NotInFuture()])
        start_time = TimeField("Start time", validators=[Optional()] if not observation else
                               [DataRequired(message="Give the time of the observation.")])
        duration_minutes = IntegerField(
            "Duration in minutes",
            validators=[NumberRange(min=1, max=600, message="Give the length in minutes.")]
            + ([Optional()] if observation else [DataRequired(message="Give the length in "
                                                              "minutes.")]))
        place = StringField(
            "Place", validators=[Length(max=200)] + (
                [DataRequired(message="Say where the observation took place.")]
                if observation else []),
            description="For example “Northgate contact centre, Leeds: complaints desk”, or "
                        "“video call”.")
        questions_md = TextAreaField(
            "Questions asked", validators=[Length(max=20000)] + (
                [] if observation else [DataRequired(message="List the questions you asked.")]),
            description="One per line, or as a numbered list."
                        + (" Optional for an observation: any questions you asked during or "
                           "after it." if observation else ""))
        account_md = TextAreaField(
            "What the learner did" if observation else "Summary of the learner’s answers",
            validators=[DataRequired(message="Describe what the learner did." if observation
                                     else "Summarise the learner’s answers."),
                        Length(max=50000)],
            description="Markdown works: **bold**, lists starting with -. Record what you saw "
                        "and heard, not your judgement of it.")
        version = IntegerField(widget=HiddenField.widget, validators=[Optional()])
        note = TextAreaField("Why you are amending the record", validators=[Length(max=5000)],
                             description="The learner is asked to confirm the amended record.")
        submit = SubmitField("Save the record")

        def validate(self, extra_validators=None):
            ok = super().validate(extra_validators)
            ticked = 0
            for c in unit.criteria:
                key = criterion_key(c.id)
                box, notes = self[f"seen_{key}"], self[f"notes_{key}"]
                if c.id in fixed or box.data:
                    ticked += 1
                    if not (notes.data or "").strip():
                        notes.errors = list(notes.errors) + [
                            f"Say what you saw or heard for AC {c.id}."]
                        ok = False
            if not ticked:
                self.form_errors.append(f"Tick at least one criterion you {seen}.")
                ok = False
            return ok

        def observed(self) -> dict[str, str]:
            return {c.id: self[f"notes_{criterion_key(c.id)}"].data.strip()
                    for c in unit.criteria
                    if c.id in fixed or self[f"seen_{criterion_key(c.id)}"].data}

    for c in unit.criteria:
        key = criterion_key(c.id)
        setattr(RecordForm, f"seen_{key}", BooleanField(
            f"AC {c.id} {c.text}", render_kw={"disabled": True} if c.id in fixed else {}))
        setattr(RecordForm, f"notes_{key}", TextAreaField(
            f"What you saw or heard for AC {c.id}", validators=[Length(max=5000)]))
    return RecordForm(formdata=formdata, obj=obj, data=data)
