from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectChoice, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, Length, Optional

from ..auth.services import MIN_PASSWORD_LENGTH
from ..models import Role


class UserForm(FlaskForm):
    name = StringField("Full name", validators=[DataRequired(
        message="Enter the person’s full name."), Length(max=120)])
    email = EmailField("Email address",
                       # test_environment: addresses at .test domains (the demo's own
                       # @demo.test) are accepted; deliverability is not checked offline.
                       validators=[DataRequired(message="Enter their email address."),
                                   Email(check_deliverability=False, test_environment=True),
                                   Length(max=254)])
    # An external quality assurer is invited with a time-limited grant (EQA access), not here.
    role = SelectField("Role", choices=[SelectChoice(r.value, r.label) for r in Role
                                        if r != Role.EQA], validators=[DataRequired(
                                            message="Choose a role.")])
    password = PasswordField(
        "Password", validators=[Optional(), Length(min=MIN_PASSWORD_LENGTH, max=200)],
        description=f"At least {MIN_PASSWORD_LENGTH} characters. Leave empty to generate one; "
                    "it is shown to you once.",
        render_kw={"autocomplete": "new-password"})
    submit = SubmitField("Create account")


class EnrolForm(FlaskForm):
    learner = SelectField("Learner", coerce=int, validators=[DataRequired(
        message="Choose a learner.")])
    unit = SelectField("Unit", validators=[DataRequired(message="Choose a unit.")])
    assessor = SelectField("Assessor", coerce=int, validators=[DataRequired(
        message="Choose an assessor.")])
    iqa = SelectField("IQA (internal quality assurer)", coerce=int, validators=[DataRequired(
        message="Choose an IQA.")],
                      description="Must be someone other than the assessor.")
    submit = SubmitField("Enrol")


class ReassignForm(FlaskForm):
    assessor = SelectField("Assessor", coerce=int, validators=[DataRequired(
        message="Choose an assessor.")])
    iqa = SelectField("IQA (internal quality assurer)", coerce=int, validators=[DataRequired(
        message="Choose an IQA.")],
                      description="Someone other than the assessor, who has not assessed this "
                                  "portfolio. A sample still planned moves to them.")
    submit = SubmitField("Save")


class AccountForm(FlaskForm):
    name = StringField("Full name", validators=[DataRequired(
        message="Enter the person’s full name."), Length(max=120)])
    email = EmailField("Email address",
                       validators=[DataRequired(message="Enter their email address."),
                                   Email(check_deliverability=False, test_environment=True),
                                   Length(max=254)],
                       description="They sign in with it from now on.")
    role = SelectField("Role", validators=[DataRequired(message="Choose a role.")],
                       description="A new role signs them out everywhere, so their pages "
                                   "change at once.")
    submit = SubmitField("Save changes")


class CloseForm(FlaskForm):
    why = StringField("Why is the account being closed?", validators=[DataRequired(
        message="Say why the account is being closed."), Length(max=200)],
                      description="For example: left the centre on 30 November. Kept in the "
                                  "audit trail.")
    submit = SubmitField("Close the account")
