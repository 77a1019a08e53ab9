from flask import abort, flash, redirect, url_for
from flask_login import current_user, login_required

from ..access import Action
from ..errors import DomainError
from ..evidence.views import load_evidence, render_detail
from ..extensions import db
from ..models import Claim
from . import bp
from .forms import DecisionForm
from .services import record_decision


@bp.route("/claims/<int:claim_id>/decision", methods=["POST"])
@login_required
def decide(claim_id: int):
    claim = db.session.get(Claim, claim_id)
    if claim is None:
        abort(404)
    evidence = load_evidence(claim.evidence_id, Action.JUDGE)
    form = DecisionForm(prefix=f"claim{claim.id}")
    if form.validate_on_submit():
        try:
            decision = record_decision(claim, form.outcome.data, form.feedback.data or "",
                                       assessor=current_user)
        except DomainError as exc:
            db.session.rollback()
            form.feedback.errors = [*form.feedback.errors, str(exc)]
        else:
            db.session.commit()
            flash(f"Decision recorded for AC {claim.criterion_id}: {decision.outcome}.", "success")
            return redirect(url_for("evidence.detail", evidence_id=evidence.id,
                                    _anchor=f"claim-{claim.id}"))
    # Show the page again with the assessor's typed feedback and the error beside it.
    return render_detail(evidence, failed={claim.id: form}), 422
