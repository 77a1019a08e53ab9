from flask_wtf import FlaskForm
from wtforms import (
    EmailField,
    IntegerField,
    PasswordField,
    SelectMultipleField,
    StringField,
    SubmitField,
    widgets,
)
from wtforms.validators import DataRequired, Email, Length, NumberRange

from ..auth.services import MIN_PASSWORD_LENGTH
from .services import MAX_DAYS


class GrantForm(FlaskForm):
    name = StringField("EQA's full name", validators=[DataRequired(
        message="Enter the EQA’s full name."), Length(max=120)])
    email = EmailField("EQA's email address", validators=[
        DataRequired(message="Enter the EQA’s email address."),
        Email(check_deliverability=False, test_environment=True), Length(max=254)])
    organisation = StringField("Awarding organisation", validators=[Length(max=200)],
                               description="For example: City & Guilds, Pearson, NCFE.")
    days = IntegerField(
        "Access for how many days", default=14,
        validators=[DataRequired(message="Give the number of days."),
                    NumberRange(min=1, max=MAX_DAYS,
                                message=f"Between 1 and {MAX_DAYS} days.")],
        description="Access ends at the same time of day after this many days; signing in "
                    "stops then.")
    portfolios = SelectMultipleField(
        "Portfolios they may read", coerce=int,
        validators=[DataRequired(message="Choose at least one portfolio.")],
        option_widget=widgets.CheckboxInput(), widget=widgets.ListWidget(prefix_label=False))
    submit = SubmitField("Grant access and make the invitation")


class InvitationForm(FlaskForm):
    password = PasswordField(
        "Choose a password", validators=[DataRequired(
            message="Choose a password."), Length(min=MIN_PASSWORD_LENGTH,
                                                                max=200)],
        description=f"At least {MIN_PASSWORD_LENGTH} characters.",
        render_kw={"autocomplete": "new-password"})
    password2 = PasswordField("Type it again", validators=[DataRequired(
        message="Type the password again."), Length(max=200)],
                              render_kw={"autocomplete": "new-password"})
    submit = SubmitField("Set password")
