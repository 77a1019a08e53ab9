from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    StringField,
    SubmitField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from ..evidence.forms import field_key
from ..spec import Method, Unit
from ..validators import NotInFuture


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
        dated = DateField("Date", validators=[DataRequired(
            message="Enter the date."), NotInFuture()])
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
                key = field_key(c.id)
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
            return {c.id: self[f"notes_{field_key(c.id)}"].data.strip()
                    for c in unit.criteria
                    if c.id in fixed or self[f"seen_{field_key(c.id)}"].data}

    for c in unit.criteria:
        key = field_key(c.id)
        setattr(RecordForm, f"seen_{key}", BooleanField(
            f"AC {c.id} {c.text}", render_kw={"disabled": True} if c.id in fixed else {}))
        setattr(RecordForm, f"notes_{key}", TextAreaField(
            f"What you saw or heard for AC {c.id}", validators=[Length(max=5000)]))
    return RecordForm(formdata=formdata, obj=obj, data=data)
