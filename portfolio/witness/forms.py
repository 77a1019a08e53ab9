from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, Length, Optional, ValidationError

from ..validators import NotInFuture
from .checks import RELATIONSHIPS, VERIFICATIONS, contact_problem, relationship_problem, same_name


class WitnessRequestForm(FlaskForm):
    # Shown only when the unit has more than one witness method (choices set by the view).
    # Not sent: the first of them (the service checks the choice).
    method = SelectField("Kind of witness", validate_choice=False)
    # A key made when the form is shown: sent twice (a reload, a second press), it makes
    # one request and one link.
    request_key = HiddenField()
    name = StringField("Witness’s full name", validators=[DataRequired(
        message="Enter the witness’s full name."), Length(max=120)])
    email = StringField("Their email address", validators=[DataRequired(
        message="Enter their email address."), Email(
        message="Give a working email address."), Length(max=254)])
    job_title = StringField("Their job title", validators=[DataRequired(
        message="Enter their job title."), Length(max=120)],
                            description="For example “Team leader, customer relations”.")
    relationship = StringField(
        "How they know your work", validators=[DataRequired(
            message="Say how they know your work."), Length(max=200)],
        description="For example “my line manager for two years”. A relative cannot be a "
                    "witness.")
    activity = TextAreaField(
        "What they saw, and which criteria", validators=[DataRequired(
            message="Say what they saw, and which criteria."), Length(max=2000)],
        description="For example “how I handled Mr Hughes's complaint on 12 October (AC 2.9: "
                    "following our complaints procedure)”. They see this on their page.")
    submit = SubmitField("Ask the witness")


class TestimonyForm(FlaskForm):
    statement = TextAreaField(
        "What you saw", validators=[DataRequired(message="Describe what you saw."),
                                    Length(max=20000)],
        description="In your own words: when and where, what the learner did and said, and "
                    "how the customer responded. Describe; you are not assessing them.")
    dated = DateField("When you saw it", validators=[DataRequired(
        message="Enter the date you saw it."), NotInFuture()])
    job_title = StringField("Your job title", validators=[DataRequired(
        message="Give your job title."), Length(max=120)])
    relationship_kind = RadioField("How you know the learner's work", validate_choice=False,
                                   choices=[SelectChoice(k, v) for k, v in RELATIONSHIPS])
    relationship_other = StringField("If other, say how", validators=[Optional(),
                                                                      Length(max=200)])
    competence = TextAreaField(
        "Your occupational competence", validators=[Optional(), Length(max=2000)],
        description="As an expert witness: the qualification or role that makes you "
                    "competent to judge this work, for example “Customer service manager, "
                    "12 years; Level 4 Diploma in Customer Service”.")
    not_relative = BooleanField("I am not a relative of the learner")
    verification_contact = StringField(
        "Phone number or email for checking", validators=[DataRequired(
            message="Give a phone number or email address so the centre can check this with "
                    "you."), Length(max=254)],
        description="An email address or a UK phone number. The centre may contact you to "
                    "confirm you wrote this.")
    signed_name = StringField("Type your full name to sign", validators=[DataRequired(
        message="Type your full name to sign."), Length(max=120)],
        description="The name the learner gave for you.")
    confirmed = BooleanField("I confirm this statement is true and that I wrote it")
    submit = SubmitField("Sign and send")

    # Set by the view: the witness's name as the learner gave it, and whether the method asks
    # for competence.
    expected_name = ""
    needs_competence = False

    def validate_relationship_kind(self, field):
        problem = relationship_problem(field.data or "", "x")
        if problem:
            raise ValidationError(problem)

    def validate_relationship_other(self, field):
        if self.relationship_kind.data == "other" or field.data:
            problem = relationship_problem(self.relationship_kind.data or "", field.data or "")
            if problem:
                raise ValidationError(problem)

    def validate_competence(self, field):
        if self.needs_competence and not (field.data or "").strip():
            raise ValidationError("As an expert witness, say what makes you occupationally "
                                  "competent: your qualification or role.")

    def validate_verification_contact(self, field):
        problem = contact_problem(field.data or "")
        if problem:
            raise ValidationError(problem)

    def validate_signed_name(self, field):
        if self.expected_name and not same_name(field.data or "", self.expected_name):
            raise ValidationError(
                f"Type the name this request was made to: {self.expected_name} (capitals "
                "and spaces do not matter). If that name is wrong, ask the learner to ask "
                "you again with the right one.")

    def validate_not_relative(self, field):
        if not field.data:
            raise ValidationError("A witness testimony cannot come from a relative of the "
                                  "learner.")

    def validate_confirmed(self, field):
        if not field.data:
            raise ValidationError("Tick to confirm the statement is true and yours.")


class VerifyForm(FlaskForm):
    how = RadioField("How you checked that the witness wrote it",
                     choices=[SelectChoice(k, v) for k, v in VERIFICATIONS],
                     validators=[DataRequired(message="Choose how you checked it.")])
    on = DateField("When", validators=[DataRequired(message="Enter the day you checked."),
                                       NotInFuture()])
    note = StringField("Note (optional)", validators=[Optional(), Length(max=500)],
                       description="For example “spoke to Ms Patel on 01632 960 123”.")
    submit = SubmitField("Record the verification")
