from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from ..access import Action, can, get_portfolio
from ..clock import uk_today
from ..evidence.forms import ConfirmForm
from ..extensions import db
from ..models import WitnessRequest, utcnow
from ..saving import saving
from ..units import unit_for
from . import bp
from .forms import TestimonyForm, WitnessRequestForm
from .services import (
    Testimony,
    WitnessDetails,
    find_request,
    request_testimony,
    revoke,
    submit_testimony,
)


@bp.route("/portfolios/<int:portfolio_id>/witnesses/new", methods=["GET", "POST"])
@login_required
def ask(portfolio_id: int):
    portfolio = get_portfolio(portfolio_id, Action.EDIT_EVIDENCE)
    unit = unit_for(portfolio)
    form = WitnessRequestForm()
    form.method.choices = [(m.key, f"{m.name}: {m.description}")
                           for m in unit.methods_by("witness")]
    if form.validate_on_submit():
        details = WitnessDetails(form.name.data, form.email.data, form.job_title.data,
                                 form.relationship.data, form.activity.data, form.method.data)
        with saving() as saved:
            request, link, emailed = request_testimony(portfolio, unit, details,
                                                       actor=current_user)
        if saved.ok:
            # The token exists only in this response: the database keeps its hash.
            return render_template("witness/link_created.html", portfolio=portfolio,
                                   request=request, link=link, emailed=emailed)
        flash(saved.error, "danger")
    status = 422 if form.errors else 200
    return render_template("witness/ask.html", portfolio=portfolio, unit=unit,
                           form=form), status


@bp.route("/witness-requests/<int:request_id>/revoke", methods=["POST"])
@login_required
def revoke_link(request_id: int):
    request = db.session.get(WitnessRequest, request_id)
    if request is None:
        abort(404)
    portfolio = get_portfolio(request.portfolio_id, Action.VIEW)
    if not can(current_user, Action.MANAGE_WITNESSES, portfolio):
        abort(403)
    if ConfirmForm().validate_on_submit():
        with saving() as saved:
            revoke(request, actor=current_user)
        flash(saved.error or f"The link for {request.witness_name} no longer works.",
              "success" if saved.ok else "danger")
    return redirect(url_for("portfolios.detail", portfolio_id=portfolio.id,
                            _anchor="witnesses-heading"))


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
    unit = unit_for(portfolio)
    form = TestimonyForm()
    if not form.is_submitted():
        form.dated.data = uk_today()
    if form.validate_on_submit():
        with saving() as saved:
            submit_testimony(request, unit, Testimony(
                form.statement.data, form.dated.data, form.not_relative.data,
                form.verification_contact.data, form.signed_name.data, form.confirmed.data),
                now)
        if saved.ok:
            return render_template("witness/thanks.html", request=request)
        form.statement.errors = [*form.statement.errors, saved.error]
    status = 422 if form.errors else 200
    return render_template("witness/testimony.html", request=request, portfolio=portfolio,
                           unit=unit, form=form), status


@bp.after_request
def _private(response):
    # A witness link is a secret: never cached, never indexed.
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response
