from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, ValidationError

from ..validators import NotInFuture


class WitnessRequestForm(FlaskForm):
    # Shown only when the unit has more than one witness method (choices set by the view).
    # Not sent: the first of them (the service checks the choice).
    method = SelectField("Kind of witness", validate_choice=False)
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
    submit = SubmitField("Create the witness link")


class TestimonyForm(FlaskForm):
    statement = TextAreaField(
        "What you saw", validators=[DataRequired(message="Describe what you saw."),
                                    Length(max=20000)],
        description="In your own words: when and where, what the learner did and said, and "
                    "how the customer responded. Describe; you are not assessing them.")
    dated = DateField("When you saw it", validators=[DataRequired(
        message="Enter the date you saw it."), NotInFuture()])
    not_relative = BooleanField("I am not a relative of the learner")
    verification_contact = StringField(
        "Phone number or email for checking", validators=[DataRequired(
            message="Give a phone number or email address so the centre can check this with "
                    "you."), Length(max=254)],
        description="The centre may contact you to confirm you wrote this.")
    signed_name = StringField("Type your full name to sign", validators=[DataRequired(
        message="Type your full name to sign."), Length(max=120)])
    confirmed = BooleanField("I confirm this statement is true and that I wrote it")
    submit = SubmitField("Sign and send")

    def validate_not_relative(self, field):
        if not field.data:
            raise ValidationError("A witness testimony cannot come from a relative of the "
                                  "learner.")

    def validate_confirmed(self, field):
        if not field.data:
            raise ValidationError("Tick to confirm the statement is true and yours.")
