"""GET /evidence/<id>/suggestions: the ranking, for everyone who sees the item (an EQA aside);
POST .../dismiss: the learner sets one aside."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import StringField, SubmitField
from wtforms.validators import Length

from ..access import Action, page_flags
from ..evidence.services import may_tag
from ..evidence.views import load_evidence
from ..saving import saving
from ..units import unit_for
from . import bp
from .services import dismiss, suggestions_for

MOST_LIKELY_AT_LEAST = 3


class DismissForm(FlaskForm):
    reason = StringField("Why it does not fit (optional)", validators=[Length(max=500)])
    submit = SubmitField("Set aside")


def _learner_may_tag(evidence, unit) -> bool:
    flags = page_flags(current_user, evidence.portfolio)
    return (flags.edit and may_tag(evidence, unit, current_user)
            and not evidence.portfolio.locked)


@bp.route("/evidence/<int:evidence_id>/suggestions")
@login_required
def page(evidence_id: int):
    evidence = load_evidence(evidence_id)
    unit = unit_for(evidence.portfolio)
    found = suggestions_for(evidence, unit)
    # The most likely: every strong or some match (the words follow the order, so they come
    # first), and never fewer than three, so a short record whose best are weak still shows
    # its best.
    likely = sum(1 for s in found.shown if s.suggestion.confidence != "weak")
    first = max(MOST_LIKELY_AT_LEAST, likely)
    return render_template("suggestions/page.html", evidence=evidence, unit=unit,
                           found=found, first=list(found.shown[:first]),
                           rest=list(found.shown[first:]),
                           may_tag=_learner_may_tag(evidence, unit), form=DismissForm)


@bp.route("/evidence/<int:evidence_id>/suggestions/<criterion_id>/dismiss", methods=["POST"])
@login_required
def set_aside(evidence_id: int, criterion_id: str):
    evidence = load_evidence(evidence_id, Action.EDIT_EVIDENCE)
    unit = unit_for(evidence.portfolio)
    if not _learner_may_tag(evidence, unit):
        abort(403)
    form = DismissForm(prefix=f"d{criterion_id.replace('.', '_')}")
    if not form.validate_on_submit():
        flash("That reason is too long: at most 500 characters.", "danger")
        return redirect(url_for(".page", evidence_id=evidence.id))
    with saving() as saved:
        dismiss(evidence, unit, criterion_id, form.reason.data, actor=current_user)
    flash(saved.error or f"Set aside: AC {criterion_id} is no longer suggested first. Your "
          "assessor can see it was suggested.", "success" if saved.ok else "danger")
    return redirect(url_for(".page", evidence_id=evidence.id,
                            _anchor=f"s-{criterion_id.replace('.', '-')}")
                    if saved.ok else url_for(".page", evidence_id=evidence.id))


def _accept_url(evidence, criterion_id: str, quote) -> str:
    """The claims page with `criterion_id` ticked and `quote` (a ranker's Quote, or None) in
    its box: the link says where the sentence is in this version, not what it says."""
    at = {"at": f"{quote.start}-{quote.end}", "v": evidence.version} if quote else {}
    return url_for("evidence.claims", evidence_id=evidence.id, accept=criterion_id, **at)


bp.add_app_template_global(_accept_url, "accept_url")
