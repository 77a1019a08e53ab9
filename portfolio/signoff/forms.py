from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length


class SignForm(FlaskForm):
    kind = HiddenField(validators=[DataRequired(message="Say which signature this is.")])
    confirmed = BooleanField("I confirm the statement above")
    typed_name = StringField(
        "Type your full name to sign", validators=[DataRequired(
            message="Type your full name to sign."), Length(max=120)],
        description="As it appears on your account. Your name, the time and the portfolio's "
                    "digest are kept with the signature.")
    submit = SubmitField("Sign")


class ReopenForm(FlaskForm):
    reason = TextAreaField(
        "Reason for reopening", validators=[DataRequired(
            message="Give the reason for reopening: it goes on the record."),
            Length(max=2000)],
        description="For example “IQA sample: AC 2.9 needs a witness testimony”. Everyone on "
                    "the portfolio sees it; every signature so far is withdrawn.")
    submit = SubmitField("Reopen the portfolio")
