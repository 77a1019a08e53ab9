"""Personal data on the evidence page: what was found (for the learner, with boxes to tick
and "Redact these"; for staff, worded for them), what was redacted before, and the rule for
files an earlier version had that a redaction removed or keeps for staff only."""

from __future__ import annotations

from flask import current_app, flash, redirect, request, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import HiddenField, SubmitField

from ..access import Action
from ..errors import DomainError, NotAllowed
from ..personal_data import summary
from ..saving import saving
from . import bp
from .personal import known_ok, left_key, scan
from .redaction import redact_evidence, remove_originals
from .views import load_evidence, render_detail


class RedactForm(FlaskForm):
    """The chosen findings come as `redact` values (personal.Group keys), beside it. Used
    with prefix="rd" (the evidence page has other forms)."""

    version = HiddenField()
    submit = SubmitField("Redact these")


class FileRedacted(DomainError):
    status_code = 410


def _store():
    return current_app.extensions["evidence_store"]


def found_words(evidence) -> str:
    """After the learner saves their evidence: what personal data it holds, in words ("" for
    none), for the message that points them to the evidence page."""
    if evidence.author_id != evidence.portfolio.learner_id:
        return ""
    return scan(evidence, _store(), known_ok(evidence.portfolio)).summary


def redactions(evidence) -> list[dict]:
    """Each version made by a redaction: its number, what went, whether the original is
    kept."""
    return [{"number": v.number, **v.content["redaction"]} for v in evidence.versions
            if "redaction" in v.content]


def personal_context(evidence, *, can_change: bool, form: RedactForm | None = None,
                     chosen: set[str] | None = None) -> dict:
    """What the evidence page shows about personal data. Only the learner's own evidence is
    scanned: an assessor's record or a witness's statement is not theirs to redact."""
    portfolio = evidence.portfolio
    done = redactions(evidence)
    if evidence.author_id != portfolio.learner_id:
        return {"personal": None, "redactions": done}
    found = scan(evidence, _store(), known_ok(portfolio))
    # What the learner left as it is in an earlier redaction is not counted again: it is
    # listed apart (folded), and can still be ticked.
    was_left = {k for r in done for k in r.get("left", [])}
    shown = [g for g in found.groups if left_key(g) not in was_left]
    left = [g for g in found.groups if left_key(g) in was_left]
    words = summary({(g.kind, g.text.casefold()): g.findings[0] for g in shown}.values())
    if form is None:
        form = RedactForm(formdata=None, prefix="rd")
        form.version.data = evidence.version
    learner = current_user.id == portfolio.learner_id
    return {"personal": found if shown else None, "redactions": done,
            "personal_learner": learner, "personal_shown": shown, "personal_left": left,
            "personal_summary": words,
            "personal_files": sorted({g.where for g in found.groups
                                      if g.source.startswith("file:")}),
            "personal_cut": ", ".join(f"“{name}”" for name in found.cut),
            "redact_form": form if learner and can_change and shown else None,
            "redact_chosen": chosen,
            "keeps_original": current_app.config["REDACTION_KEEPS_ORIGINAL"]}


@bp.route("/evidence/<int:evidence_id>/redact", methods=["POST"])
@login_required
def redact(evidence_id: int):
    evidence = load_evidence(evidence_id, Action.EDIT_EVIDENCE)
    form = RedactForm(prefix="rd")
    chosen = set(request.form.getlist("redact"))
    if form.validate_on_submit():
        keep = current_app.config["REDACTION_KEEPS_ORIGINAL"]
        try:
            expected = int(form.version.data or 0)
        except ValueError:
            expected = 0
        with saving() as saved:
            done = redact_evidence(evidence, chosen, expected_version=expected,
                                   actor=current_user, store=_store(),
                                   known=known_ok(evidence.portfolio), keep_original=keep)
        if saved.ok:
            remove_originals(_store(), done, evidence, current_app.logger)
            flash(f"Redacted {done.summary}: saved as version {done.version}. "
                  + ("The original is kept for staff only." if done.kept
                     else "The original was not kept."), "success")
            return redirect(url_for(".detail", evidence_id=evidence.id))
        form.form_errors.append(saved.error)
    return render_detail(evidence, redact_form=form, redact_chosen=chosen), 422


def earlier_file_rule(evidence, entry: dict) -> None:
    """A file of an earlier version that a redaction replaced: gone if the original was not
    kept; kept for staff only if it was (the learner is refused, in words)."""
    if not entry.get("redacted_in"):
        return
    if not entry.get("kept"):
        raise FileRedacted(f"“{entry['name']}” was removed when its personal data was "
                           f"redacted (version {entry['redacted_in']}): the original was not "
                           "kept. The redacted copy is in the current version.")
    if current_user.id == evidence.portfolio.learner_id:
        raise NotAllowed(f"“{entry['name']}” was replaced by a redacted copy in version "
                         f"{entry['redacted_in']}; the centre keeps the original for staff "
                         "only. The redacted copy is in the current version.")
