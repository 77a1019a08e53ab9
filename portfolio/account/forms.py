"""Forms of the account page. Both password fields are named current_password, which a
stale form's page never shows back (portfolio/__init__.py), with ids of their own."""

from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, Length

from ..totp import DIGITS

_CODE_KW = {"autocomplete": "one-time-code", "autocapitalize": "none", "spellcheck": "false"}


class EnrolForm(FlaskForm):
    code = StringField(
        "Code from the app", validators=[DataRequired(
            message=f"Enter the {DIGITS}-digit code your app shows."), Length(max=20)],
        description=f"The {DIGITS} digits the app shows for this account now (they change "
                    "every 30 seconds).",
        render_kw={**_CODE_KW, "inputmode": "numeric"})
    submit = SubmitField("Turn on two-step sign-in")


def _password(field_id: str) -> PasswordField:
    return PasswordField("Your current password", id=field_id, validators=[DataRequired(
        message="Enter your current password."), Length(max=200)],
                         render_kw={"autocomplete": "current-password"})


class NewCodesForm(FlaskForm):
    current_password = _password("codes-password")
    submit = SubmitField("Make new recovery codes")


class TurnOffForm(FlaskForm):
    current_password = _password("off-password")
    code = StringField(
        "Code from your app, or a recovery code", id="off-code", validators=[DataRequired(
            message="Enter a code from your app, or a recovery code."), Length(max=40)],
        render_kw=_CODE_KW)
    submit = SubmitField("Turn off two-step sign-in")
