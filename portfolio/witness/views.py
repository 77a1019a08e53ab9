import secrets

from flask import abort, flash, redirect, render_template, url_for
from flask import request as http
from flask_login import current_user, login_required
from wtforms import SelectChoice

from ..access import Action, can, get_portfolio
from ..clock import uk_today
from ..evidence.forms import ConfirmForm
from ..extensions import db
from ..models import WitnessRequest, utcnow
from ..saving import saving
from ..units import unit_for
from . import bp
from .checks import fingerprint
from .forms import TestimonyForm, VerifyForm, WitnessRequestForm
from .services import (
    Testimony,
    WitnessDetails,
    find_request,
    pass_on,
    request_testimony,
    revoke,
    submit_testimony,
    verify,
)


@bp.route("/portfolios/<int:portfolio_id>/witnesses/new", methods=["GET", "POST"])
@login_required
def ask(portfolio_id: int):
    portfolio = get_portfolio(portfolio_id, Action.EDIT_EVIDENCE)
    unit = unit_for(portfolio)
    form = WitnessRequestForm()
    form.method.choices = [SelectChoice(m.key, f"{m.name}: {m.description}")
                           for m in unit.methods_by("witness")]
    if not form.is_submitted():
        form.request_key.data = secrets.token_urlsafe(24)
    if form.validate_on_submit():
        details = WitnessDetails(form.name.data, form.email.data, form.job_title.data,
                                 form.relationship.data, form.activity.data, form.method.data,
                                 form.request_key.data or "")
        with saving() as saved:
            asked = request_testimony(portfolio, unit, details, actor=current_user)
        if saved.ok:
            return render_template("witness/asked.html", portfolio=portfolio, asked=asked)
        flash(saved.error, "danger")
    status = 422 if form.errors else 200
    return render_template("witness/ask.html", portfolio=portfolio, unit=unit,
                           form=form), status


@bp.route("/witness-requests/<int:request_id>/revoke", methods=["POST"])
@login_required
def revoke_link(request_id: int):
    request = _request_for(request_id, Action.MANAGE_WITNESSES)
    portfolio = request.portfolio
    if ConfirmForm().validate_on_submit():
        with saving() as saved:
            revoke(request, actor=current_user)
        flash(saved.error or f"The link for {request.witness_name} no longer works.",
              "success" if saved.ok else "danger")
    return redirect(url_for("portfolios.detail", portfolio_id=portfolio.id,
                            _anchor="witnesses-heading"))


def _request_for(request_id: int, action: Action) -> WitnessRequest:
    """A witness request on a portfolio the signed-in user sees (else 404) and may do
    `action` on (else 403): revoke it, or (the assessor) pass it on and verify it."""
    request = db.session.get(WitnessRequest, request_id)
    if request is None:
        abort(404)
    portfolio = get_portfolio(request.portfolio_id, Action.VIEW)
    if not can(current_user, action, portfolio):
        abort(403)
    return request


@bp.route("/witness-requests/<int:request_id>/pass-on", methods=["POST"])
@login_required
def pass_on_link(request_id: int):
    """Email off: the assessor makes the link and passes it on; shown to them only, once."""
    request = _request_for(request_id, Action.CHECK_WITNESSES)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    with saving() as saved:
        link = pass_on(request, actor=current_user)
    if not saved.ok:
        flash(saved.error, "danger")
        return redirect(url_for("portfolios.detail", portfolio_id=request.portfolio_id,
                                _anchor="witnesses-heading"))
    return render_template("witness/pass_on.html", request=request, link=link)


@bp.route("/witness-requests/<int:request_id>/verify", methods=["POST"])
@login_required
def verify_testimony(request_id: int):
    request = _request_for(request_id, Action.CHECK_WITNESSES)
    form = VerifyForm()
    back = url_for("evidence.detail", evidence_id=request.evidence_id or 0,
                   _anchor="verification") if request.evidence_id else url_for(
        "portfolios.detail", portfolio_id=request.portfolio_id)
    if form.validate_on_submit():
        with saving() as saved:
            verify(request, form.how.data, form.on.data, form.note.data or "",
                   actor=current_user)
        flash(saved.error or f"Recorded: you verified {request.witness_name}'s testimony.",
              "success" if saved.ok else "danger")
    else:
        flash(" ".join(e for errors in form.errors.values() for e in errors), "danger")
    return redirect(back)


@bp.route("/witness/<token>", methods=["GET", "POST"])
def testimony(token: str):
    """The witness's page: no account, just the link."""
    request = find_request(token)
    now = utcnow()
    if request is None:
        return render_template("witness/closed.html", reason="unknown"), 404
    state = request.state(now)
    if state != "waiting" or request.portfolio.locked:
        return render_template("witness/closed.html", reason=state if state != "waiting"
                               else "locked", request=request), 410
    portfolio = request.portfolio
    if current_user.is_authenticated:
        # A testimony comes from the witness: never from an account of the centre, least of
        # all the learner's own.
        return render_template("witness/closed.html", reason="signed-in", request=request,
                               own=current_user.id in (portfolio.learner_id,
                                                       portfolio.assessor_id,
                                                       portfolio.iqa_id)), 403
    unit = unit_for(portfolio)
    method = unit.methods.get(request.method)
    form = TestimonyForm()
    form.expected_name = request.witness_name
    form.needs_competence = bool(method and method.competence)
    if not form.is_submitted():
        form.dated.data = uk_today()
        form.job_title.data = request.job_title
    if form.validate_on_submit():
        with saving() as saved:
            submit_testimony(request, unit, Testimony(
                form.statement.data, form.dated.data, form.not_relative.data,
                form.verification_contact.data, form.signed_name.data, form.confirmed.data,
                job_title=form.job_title.data, relationship_kind=form.relationship_kind.data,
                relationship_other=form.relationship_other.data or "",
                competence=form.competence.data or "",
                signed_ip=fingerprint(http.remote_addr)), now)
        if saved.ok:
            return render_template("witness/thanks.html", request=request)
        form.statement.errors = [*form.statement.errors, saved.error]
    status = 422 if form.errors else 200
    return render_template("witness/testimony.html", request=request, portfolio=portfolio,
                           unit=unit, form=form, method=method), status


@bp.after_request
def _private(response):
    # A witness link is a secret: never cached, never indexed.
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response
