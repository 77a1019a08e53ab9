from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, Length


class LoginForm(FlaskForm):
    email = EmailField("Email address", validators=[DataRequired(
        message="Enter your email address."), Length(max=254)],
                       render_kw={"autocomplete": "username"})
    password = PasswordField("Password", validators=[DataRequired(
        message="Enter your password."), Length(max=200)],
                             render_kw={"autocomplete": "current-password"})
    submit = SubmitField("Sign in")


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
