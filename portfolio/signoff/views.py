from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..access import Action, can, get_portfolio, page_flags
from ..ai_use import NOT_ANSWERED, declared
from ..clock import uk_today
from ..errors import NotAllowed
from ..evidence.forms import ConfirmForm
from ..facts import coverage_for, portfolio_state, signature_statuses
from ..iqa.services import countersign_problem
from ..models import SignatureKind
from ..saving import saving
from ..signing import digest_of
from ..units import unit_for
from . import bp
from .forms import ReopenForm, SignForm
from .services import STATEMENTS, reopen, sign, sign_off_problem


def _kinds_for(portfolio) -> list[SignatureKind]:
    """The signatures the current user could give on this portfolio."""
    out = []
    if can(current_user, Action.EDIT_EVIDENCE, portfolio):
        out.append(SignatureKind.DECLARATION)
    if can(current_user, Action.JUDGE, portfolio):
        out.append(SignatureKind.SIGN_OFF)
    if can(current_user, Action.COUNTERSIGN, portfolio):
        out.append(SignatureKind.COUNTERSIGN)
    return out


def _page(portfolio, sign_form=None, reopen_form=None, status=200):
    unit = unit_for(portfolio)
    state = portfolio_state(portfolio)
    listed = signature_statuses(portfolio, state)
    current = {s.signature.kind for s in listed if s.current}
    forms = {}
    kinds = _kinds_for(portfolio)
    for kind in kinds:
        if sign_form is not None and sign_form.kind.data == kind.value:
            forms[kind.value] = sign_form
        else:
            forms[kind.value] = SignForm(formdata=None, kind=kind.value)
    coverage = coverage_for(portfolio, unit, uk_today())
    not_ready = None if portfolio.locked else sign_off_problem(
        coverage_for(portfolio, unit, uk_today(), at_sign_off=True))
    not_sampled = None
    if SignatureKind.COUNTERSIGN in kinds:
        not_sampled = countersign_problem(portfolio, digest_of(state))
    return render_template(
        "signoff/page.html", portfolio=portfolio, unit=unit, digest=digest_of(state),
        not_sampled=not_sampled, confirm=ConfirmForm(),
        listed=listed, current=current, forms=forms, statements=STATEMENTS,
        kinds=SignatureKind, coverage=coverage, not_ready=not_ready,
        ai_declared=declared(portfolio.evidence, unit), not_answered=NOT_ANSWERED,
        reopen_form=(reopen_form or ReopenForm(formdata=None))
        if page_flags(current_user, portfolio).reopen else None), status


@bp.route("/portfolios/<int:portfolio_id>/signatures", methods=["GET", "POST"])
@login_required
def page(portfolio_id: int):
    portfolio = get_portfolio(portfolio_id, Action.VIEW)
    if request.method == "GET":
        return _page(portfolio)
    form = SignForm()
    if form.validate_on_submit():
        with saving(reraise=(NotAllowed,)) as saved:
            signature = sign(portfolio, unit_for(portfolio), form.kind.data,
                             form.typed_name.data, form.confirmed.data, signer=current_user,
                             today=uk_today())
        if saved.ok:
            flash(f"Signed: {signature.label}."
                  + (" The portfolio is now locked." if signature.kind == "sign_off" else ""),
                  "success")
            return redirect(url_for(".page", portfolio_id=portfolio.id))
        form.typed_name.errors = [*form.typed_name.errors, saved.error]
    return _page(portfolio, sign_form=form, status=422)


@bp.route("/portfolios/<int:portfolio_id>/reopen", methods=["POST"])
@login_required
def reopen_portfolio(portfolio_id: int):
    portfolio = get_portfolio(portfolio_id, Action.REOPEN)
    form = ReopenForm()
    if form.validate_on_submit():
        with saving() as saved:
            reopen(portfolio, form.reason.data, actor=current_user)
        if saved.ok:
            flash("Reopened. The earlier signatures are kept, marked as superseded; new ones "
                  "are needed.", "success")
            return redirect(url_for(".page", portfolio_id=portfolio.id))
        form.reason.errors = [*form.reason.errors, saved.error]
    return _page(portfolio, reopen_form=form, status=422)
