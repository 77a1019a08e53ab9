import contextlib

from flask import current_app
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    MultipleFileField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from ..ai_use import PURPOSES, AiUse
from ..quoting import QUOTE_MAX
from ..spec import Unit
from ..text import one_line
from ..uploads import ACCEPT_ATTRIBUTE, ACCEPTED_DESCRIPTION
from ..validators import NotInFuture


class EvidenceForm(FlaskForm):
    title = StringField(
        "Title", validators=[DataRequired(message="Enter a title."), Length(max=200)],
        filters=[one_line],
        description="A short name you and your assessor will recognise, for example "
                    "“Refund complaint: email thread with Mrs Patel”.")
    method = SelectField("Evidence method", validators=[DataRequired(
        message="Choose an evidence method.")])
    dated = DateField("Date of the work", validators=[DataRequired(
        message="Enter the date of the work."), NotInFuture()],
                      description="When the work happened, not when you upload it.")
    context = TextAreaField(
        "Workplace context", validators=[Length(max=2000)],
        description="Where this happened: your role, your team, how the customer contacted you.")
    account_md = TextAreaField(
        "Account", validators=[Length(max=50000)],
        description="What happened, what you did and why. You can use Markdown: **bold**, "
                    "*italic*, lists starting with -, and links. Leave out customers’ personal "
                    "details you do not need.")
    # The statement of AI use: no default, so every item carries a choice the learner made.
    ai_answer = RadioField(
        "Did you use AI tools (such as ChatGPT, Copilot, Gemini or Grammarly) to produce this "
        "evidence?",
        validators=[DataRequired(message="Say whether you used AI tools to produce this "
                                         "evidence.")],
        choices=[SelectChoice("no", "No, I did not use AI tools"), SelectChoice("yes", "Yes")])
    ai_tools = StringField(
        "Which AI tool or tools", validators=[Length(max=300)], filters=[one_line],
        description="If you answered yes: for example “ChatGPT” or “Grammarly and Copilot”.")
    ai_for = SelectMultipleField(
        "What you used them for", choices=[SelectChoice(k, v.capitalize())
                                           for k, v in PURPOSES.items()],
        widget=ListWidget(prefix_label=False), option_widget=CheckboxInput(),
        description="If you answered yes: tick every use.")
    ai_other = StringField("What else you used them for", validators=[Length(max=300)],
                           filters=[one_line])
    files = MultipleFileField(
        "Attach files", validators=[Optional()],
        render_kw={"accept": ACCEPT_ATTRIBUTE})
    note = TextAreaField(
        "What you changed, for your assessor", validators=[Length(max=5000)],
        description="Optional. For example “Added paragraph 6 on when I escalate and to whom”. "
                    "Your assessor also sees every difference between the versions.")
    submission_key = HiddenField()
    version = IntegerField(widget=HiddenField.widget, validators=[Optional()])
    submit = SubmitField("Save evidence")

    def __init__(self, *args, unit: Unit, **kwargs):
        super().__init__(*args, **kwargs)
        self.method.choices = [SelectChoice("", "Choose a method")] + [
            SelectChoice(m.key, m.name) for m in unit.methods_by("learner")]
        limit = current_app.config["MAX_UPLOAD_BYTES"] // (1024 * 1024)
        count = current_app.config["MAX_FILES_PER_UPLOAD"]
        self.files.description = (f"{ACCEPTED_DESCRIPTION}. Up to {count} files, each at most "
                                  f"{limit} MB.")
        self.files.render_kw = {**self.files.render_kw, "data-max-bytes":
                                current_app.config["MAX_UPLOAD_BYTES"],
                                "data-max-files": count}

    def ai_use(self) -> AiUse | None:
        if self.ai_answer.data not in ("yes", "no"):
            return None
        used = self.ai_answer.data == "yes"
        return AiUse(used=used, tools=(self.ai_tools.data or "").strip() if used else "",
                     purposes=tuple(self.ai_for.data or ()) if used else (),
                     other=(self.ai_other.data or "").strip() if used else "")

    def validate_ai_tools(self, field):
        if self.ai_answer.data == "yes" and not (field.data or "").strip():
            raise ValidationError("Say which AI tool or tools you used, for example “ChatGPT”.")

    def validate_ai_for(self, field):
        if self.ai_answer.data == "yes" and not field.data:
            raise ValidationError("Tick what you used the AI tools for.")

    def validate_ai_other(self, field):
        if (self.ai_answer.data == "yes" and "other" in (self.ai_for.data or [])
                and not (field.data or "").strip()):
            raise ValidationError("Say what else you used the AI tools for.")

    def uploads(self):
        """The files actually chosen (browsers send one empty part when none is)."""
        return [f for f in (self.files.data or []) if f and f.filename]

    def validate_files(self, field):
        if len(self.uploads()) > current_app.config["MAX_FILES_PER_UPLOAD"]:
            raise ValidationError(f"Attach at most {current_app.config['MAX_FILES_PER_UPLOAD']} "
                                  "files at a time.")


def ai_initial(answer: AiUse | None) -> dict:
    """The AI questions' values from an item's saved answer, for EvidenceForm(**...): the
    item has no field of the form's names (none: left unanswered)."""
    if answer is None:
        return {}
    return {"ai_answer": "yes" if answer.used else "no", "ai_for": list(answer.purposes)}


class ConfirmForm(FlaskForm):
    """A POST-only button with CSRF (delete, remove a file)."""

    submit = SubmitField("Confirm")


def field_key(criterion_id: str) -> str:
    return criterion_id.replace(".", "_")


QUOTE_HINT = ("The sentence or passage that meets AC {}, copied from the text of the evidence "
              "(line breaks and quote marks do not matter). Up to {:,} characters.")


def claims_form(unit: Unit, fixed: dict[str, str], rewordable: set[str] = frozenset(),
                formdata=None, data=None):
    """A form with a tick box, a rationale box and a quote box per criterion of the unit.

    `fixed` holds the claims the user cannot remove (criterion id -> rationale): shown ticked
    and disabled. Those in `rewordable` (judged claims on referred evidence) keep an open
    rationale and quote box; the others are shown, never changed here. Whether a quote is in
    the evidence is the service's check (evidence.claims.set_claims): it needs the text.
    """
    open_criteria = [c for c in unit.criteria if c.id not in fixed]
    reword = [c for c in unit.criteria if c.id in fixed and c.id in rewordable]

    class ClaimsForm(FlaskForm):
        submit = SubmitField("Save claims")

        def validate(self, extra_validators=None):
            ok = super().validate(extra_validators)
            for c in open_criteria + reword:
                key = field_key(c.id)
                ticked, why = self[f"claim_{key}"], self[f"rationale_{key}"]
                if (c in reword or ticked.data) and not (why.data or "").strip():
                    why.errors = list(why.errors) + [
                        f"Say where and how this evidence meets AC {c.id}: for example which "
                        "paragraph, which email, what you did."]
                    ok = False
            return ok

        def wanted(self) -> dict[str, str]:
            chosen = {c.id: self[f"rationale_{field_key(c.id)}"].data.strip()
                      for c in open_criteria if self[f"claim_{field_key(c.id)}"].data}
            reworded = {c.id: self[f"rationale_{field_key(c.id)}"].data.strip() for c in reword}
            return {**chosen, **fixed, **reworded}

        def quotes(self) -> dict[str, str]:
            """The quote boxes sent for the claims this form may change (a box that is not
            sent, disabled or not shown, leaves its claim's quote as it is)."""
            return {c.id: (self[f"quote_{field_key(c.id)}"].data or "").strip()
                    for c in open_criteria + reword
                    if (c in reword or self[f"claim_{field_key(c.id)}"].data)
                    and self[f"quote_{field_key(c.id)}"].raw_data}

        def keep_changed(self) -> frozenset[str]:
            """The claims whose re-anchored passage the learner accepts as it now reads."""
            return frozenset(c.id for c in open_criteria + reword
                             if self[f"keep_{field_key(c.id)}"].data)

    for c in unit.criteria:
        key = field_key(c.id)
        box = {"disabled": True} if c.id in fixed else {}
        why = {"disabled": True} if c.id in fixed and c.id not in rewordable else {}
        setattr(ClaimsForm, f"claim_{key}",
                BooleanField(f"AC {c.id} {c.text}", render_kw=box))
        setattr(ClaimsForm, f"rationale_{key}",
                TextAreaField(f"Where and how this evidence meets AC {c.id}",
                              validators=[Length(max=5000)],
                              render_kw=why))
        # Longer than QUOTE_MAX on purpose: the service says how long it is, keeping the text.
        setattr(ClaimsForm, f"quote_{key}",
                TextAreaField(f"Quote from the evidence for AC {c.id} (optional)",
                              validators=[Length(max=4 * QUOTE_MAX)],
                              description=QUOTE_HINT.format(c.id, QUOTE_MAX),
                              render_kw={**why, "rows": 2, "data-quote-box": c.id}))
        setattr(ClaimsForm, f"keep_{key}",
                BooleanField(f"The passage as it now reads still shows AC {c.id}: keep it",
                             render_kw=why))
    return ClaimsForm(formdata=formdata, data=data)


# The assessor's and the learner's answers on the evidence page (posted to assessment views).


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


class WithdrawForm(FlaskForm):
    """The assessor takes a claim out of the judgement instead of deciding it."""

    reason = TextAreaField(
        "Why you are withdrawing this claim",
        validators=[DataRequired(message="Give the reason: the learner sees it."),
                    Length(max=2000)],
        description="For example “the email is a colleague’s reply, not yours”. The claim stays "
                    "on the record, marked withdrawn, and counts for nothing.")
    submit = SubmitField("Withdraw the claim")


def accepted_suggestion(unit: Unit, fixed: dict[str, str], evidence, args) -> dict:
    """The claims form's starting values for "Use this in a claim" (?accept=2.3&at=120-188&v=2):
    that criterion ticked and its quote box filled with the passage at those offsets of
    version v's text, the rationale left for the learner. The link carries where the sentence
    is, never its words, so no evidence text reaches a server's access log. Nothing for a
    criterion not in the unit or one the learner cannot change; the box is left empty when
    the offsets are not a passage of the current version (the evidence changed since)."""
    from .passages import QuoteRefused, anchor_span

    criterion_id = args.get("accept", "")
    if criterion_id not in {c.id for c in unit.criteria} or criterion_id in fixed:
        return {}
    key = field_key(criterion_id)
    quote = ""
    start, _, end = args.get("at", "").partition("-")
    if start.isdigit() and end.isdigit() and args.get("v") == str(evidence.version):
        with contextlib.suppress(QuoteRefused):
            quote = anchor_span(evidence, int(start), int(end)).text[:QUOTE_MAX]
    return {f"claim_{key}": True, f"quote_{key}": quote}
