from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, Length

from .services import MIN_PASSWORD_LENGTH


class LoginForm(FlaskForm):
    email = EmailField("Email address", validators=[DataRequired(
        message="Enter your email address."), Length(max=254)],
                       render_kw={"autocomplete": "username"})
    password = PasswordField("Password", validators=[DataRequired(
        message="Enter your password."), Length(max=200)],
                             render_kw={"autocomplete": "current-password"})
    submit = SubmitField("Sign in")


class ForgotForm(FlaskForm):
    email = EmailField("Email address", validators=[DataRequired(
        message="Enter the email address you sign in with."), Length(max=254)],
                       render_kw={"autocomplete": "username"})
    submit = SubmitField("Email me a link")


def _new_password(label: str = "New password") -> PasswordField:
    return PasswordField(label, validators=[DataRequired(message="Choose a new password."),
                                            Length(max=200)],
                         description=f"At least {MIN_PASSWORD_LENGTH} characters. A few "
                                     "unrelated words together are strong and easy to remember.",
                         render_kw={"autocomplete": "new-password"})


def _again() -> PasswordField:
    return PasswordField("Type the new password again", validators=[DataRequired(
        message="Type the new password again."), Length(max=200)],
                         render_kw={"autocomplete": "new-password"})


class ResetForm(FlaskForm):
    password = _new_password()
    password2 = _again()
    submit = SubmitField("Set my new password")


class ChangePasswordForm(FlaskForm):
    current = PasswordField("Current password", validators=[Length(max=200)],
                            render_kw={"autocomplete": "current-password"})
    password = _new_password()
    password2 = _again()
    submit = SubmitField("Change my password")


class CodeForm(FlaskForm):
    """The second step of signing in."""

    code = StringField(
        "Code", validators=[DataRequired(message="Enter the code from your authenticator app, "
                                                 "or a recovery code."), Length(max=40)],
        description="The 6 digits your authenticator app shows now, or one of your recovery "
                    "codes.",
        render_kw={"autocomplete": "one-time-code", "autocapitalize": "none",
                   "spellcheck": "false"})
    submit = SubmitField("Continue")
