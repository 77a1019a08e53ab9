from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..access import Action, get_portfolio
from ..clock import uk_today
from ..evidence.forms import (
    AddClaimForm,
    ConfirmForm,
    DecisionForm,
    ResponseForm,
    WithdrawForm,
    field_key,
)
from ..evidence.services import StaleEdit
from ..evidence.views import load_evidence, render_detail
from ..extensions import db
from ..models import Claim
from ..saving import saving
from ..units import unit_for
from . import bp
from .forms import record_form
from .services import (
    RecordFields,
    accept_awaiting,
    add_claim,
    record_decision,
    respond_to_record,
    save_record,
    withdraw_claim,
)


@bp.route("/claims/<int:claim_id>/decision", methods=["POST"])
@login_required
def decide(claim_id: int):
    claim = db.session.get(Claim, claim_id)
    if claim is None:
        abort(404)
    evidence = load_evidence(claim.evidence_id, Action.JUDGE)
    form = DecisionForm(prefix=f"claim{claim.id}")
    unit = unit_for(evidence.portfolio)
    criterion = unit.criterion(claim.criterion_id)
    if form.validate_on_submit():
        with saving() as saved:
            decision = record_decision(
                claim, form.outcome.data, form.feedback.data or "", assessor=current_user,
                unit=unit, range_items=request.form.getlist(f"claim{claim.id}-range")
                if criterion.range else None)
        if saved.ok:
            flash(f"Decision recorded for AC {claim.criterion_id}: {decision.outcome}.", "success")
            return redirect(url_for("evidence.detail", evidence_id=evidence.id,
                                    _anchor=f"claim-{claim.id}"))
        form.feedback.errors = [*form.feedback.errors, saved.error]
    # Show the page again with the assessor's typed feedback and the error beside it.
    return render_detail(evidence, failed={claim.id: form}), 422


@bp.route("/evidence/<int:evidence_id>/accept-all", methods=["POST"])
@login_required
def accept_all(evidence_id: int):
    """Accept every claim on the item still awaiting a decision (each its own decision)."""
    evidence = load_evidence(evidence_id, Action.JUDGE)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    with saving() as saved:
        decisions = accept_awaiting(evidence, unit_for(evidence.portfolio),
                                    assessor=current_user)
    if saved.ok:
        flash(f"Accepted AC {', '.join(d.claim.criterion_id for d in decisions)}: one decision "
              "each, in the history." if decisions else "No claim was awaiting a decision.",
              "success")
    else:
        flash(saved.error, "danger")
    return redirect(url_for("evidence.detail", evidence_id=evidence.id))


@bp.route("/claims/<int:claim_id>/withdraw", methods=["POST"])
@login_required
def withdraw(claim_id: int):
    claim = db.session.get(Claim, claim_id)
    if claim is None:
        abort(404)
    evidence = load_evidence(claim.evidence_id, Action.JUDGE)
    form = WithdrawForm(prefix=f"w{claim.id}")
    if form.validate_on_submit():
        with saving() as saved:
            withdraw_claim(claim, form.reason.data, assessor=current_user)
        if saved.ok:
            flash(f"Withdrawn: the claim of AC {claim.criterion_id} stays on the record and "
                  "counts for nothing. The learner has been told why.", "success")
            return redirect(url_for("evidence.detail", evidence_id=evidence.id,
                                    _anchor=f"claim-{claim.id}"))
        form.reason.errors = [*form.reason.errors, saved.error]
    return render_detail(evidence, withdraw_failed={claim.id: form}), 422


@bp.route("/evidence/<int:evidence_id>/claims/add", methods=["POST"])
@login_required
def add(evidence_id: int):
    evidence = load_evidence(evidence_id, Action.JUDGE)
    unit = unit_for(evidence.portfolio)
    form = AddClaimForm()
    form.set_criteria(unit, {c.criterion_id for c in evidence.claims})
    if form.validate_on_submit():
        with saving() as saved:
            claim = add_claim(evidence, unit, form.criterion.data, form.rationale.data,
                              assessor=current_user)
        if saved.ok:
            flash(f"Added AC {claim.criterion_id}: record your decision on it below.", "success")
            return redirect(url_for("evidence.detail", evidence_id=evidence.id,
                                    _anchor=f"claim-{claim.id}"))
        form.rationale.errors = [*form.rationale.errors, saved.error]
    return render_detail(evidence, add_claim_form=form), 422


@bp.route("/evidence/<int:evidence_id>/response", methods=["POST"])
@login_required
def respond(evidence_id: int):
    evidence = load_evidence(evidence_id, Action.EDIT_EVIDENCE)
    unit = unit_for(evidence.portfolio)
    form = ResponseForm()
    if form.validate_on_submit():
        with saving() as saved:
            answer = respond_to_record(evidence, unit, form.response.data,
                                       form.comment.data or "", learner=current_user)
        if saved.ok:
            flash("Thank you: you confirmed the record." if answer.response == "confirmed" else
                  "Your dispute is recorded and your assessor has been told.", "success")
            return redirect(url_for("evidence.detail", evidence_id=evidence.id))
        form.comment.errors = [*form.comment.errors, saved.error]
    return render_detail(evidence, response_form=form), 422


def _fields(form, method_key: str) -> RecordFields:
    return RecordFields(method=method_key, dated=form.dated.data,
                        start_time=form.start_time.data,
                        duration_minutes=form.duration_minutes.data,
                        place=(form.place.data or "").strip(),
                        questions_md=form.questions_md.data or "",
                        account_md=form.account_md.data or "")


@bp.route("/portfolios/<int:portfolio_id>/records/new/<method_key>", methods=["GET", "POST"])
@login_required
def new_record(portfolio_id: int, method_key: str):
    portfolio = get_portfolio(portfolio_id, Action.JUDGE)
    unit = unit_for(portfolio)
    method = unit.methods.get(method_key)
    if method is None or method.author != "assessor":
        abort(404)
    form = record_form(unit, method, formdata=request.form if request.method == "POST" else None,
                       data={"dated": uk_today()})
    status = 200
    if request.method == "POST":
        status = 422
        if form.validate():
            with saving() as saved:
                evidence = save_record(portfolio, unit, _fields(form, method.key),
                                       form.observed(), assessor=current_user,
                                       today=uk_today(), ranges=_ranges(unit))
            if saved.ok:
                flash(f"Saved “{evidence.title}”. {portfolio.learner.name} has been asked to "
                      "confirm it is accurate.", "success")
                return redirect(url_for("evidence.detail", evidence_id=evidence.id))
            form.form_errors.append(saved.error)
    return render_template("assessment/record_form.html", form=form, portfolio=portfolio,
                           unit=unit, method=method, evidence=None, fixed=set(),
                           key=field_key, ranges=_ranges(unit)), status


def _ranges(unit) -> dict[str, list[str]]:
    """The range boxes ticked on a record form, for each criterion with a range."""
    return {c.id: request.form.getlist(f"range_{field_key(c.id)}") for c in unit.criteria
            if c.range}


@bp.route("/evidence/<int:evidence_id>/record", methods=["GET", "POST"])
@login_required
def amend_record(evidence_id: int):
    evidence = load_evidence(evidence_id, Action.JUDGE)
    portfolio = evidence.portfolio
    unit = unit_for(portfolio)
    method = unit.methods.get(evidence.method)
    if method is None or method.author != "assessor" or evidence.author_id != current_user.id:
        abort(404)
    fixed = {c.criterion_id for c in evidence.claims}
    data = {"dated": evidence.dated, "start_time": evidence.start_time,
            "duration_minutes": evidence.duration_minutes, "place": evidence.place,
            "questions_md": evidence.questions_md, "account_md": evidence.account_md,
            "version": evidence.version}
    for c in evidence.claims:
        data[f"seen_{field_key(c.criterion_id)}"] = True
        data[f"notes_{field_key(c.criterion_id)}"] = c.rationale
    form = record_form(unit, method, fixed,
                       formdata=request.form if request.method == "POST" else None, data=data)
    status = 200
    if request.method == "POST":
        status = 422
        if form.validate():
            # A stale form goes to the error page, which shows back everything typed.
            with saving(reraise=(StaleEdit,)) as saved:
                save_record(portfolio, unit, _fields(form, method.key), form.observed(),
                            assessor=current_user, today=uk_today(), evidence=evidence,
                            expected_version=form.version.data, note=form.note.data or "",
                            ranges=_ranges(unit))
            if saved.ok:
                flash(f"Saved as version {evidence.version}. {portfolio.learner.name} has been "
                      "asked to confirm the amended record.", "success")
                return redirect(url_for("evidence.detail", evidence_id=evidence.id))
            form.form_errors.append(saved.error)
    ranges = (_ranges(unit) if request.method == "POST" else
              {c.criterion_id: c.range_items for c in evidence.claims})
    return render_template("assessment/record_form.html", form=form, portfolio=portfolio,
                           unit=unit, method=method, evidence=evidence, fixed=fixed,
                           key=field_key, ranges=ranges), status
