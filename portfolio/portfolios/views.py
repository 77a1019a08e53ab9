from flask import redirect, render_template, url_for
from flask_login import current_user, login_required
from sqlalchemy.orm import selectinload

from ..access import Action, can, get_portfolio, visible_portfolios_query
from ..clock import uk_now, uk_today
from ..coverage import AWAITING
from ..evidence.forms import ConfirmForm
from ..extensions import db
from ..models import Portfolio, Role
from ..units import all_units, get_unit
from ..witness.services import witness_rows
from . import bp
from .services import caseload, coverage_for


@bp.route("/")
@login_required
def index():
    query = visible_portfolios_query(current_user).options(
        selectinload(Portfolio.learner), selectinload(Portfolio.assessor),
        selectinload(Portfolio.iqa))
    portfolios = db.session.scalars(query).all()
    if current_user.role == Role.LEARNER and len(portfolios) == 1:
        return redirect(url_for(".detail", portfolio_id=portfolios[0].id))
    rows = caseload(portfolios, all_units(), uk_now())
    return render_template("portfolios/index.html", rows=rows)


@bp.route("/<int:portfolio_id>")
@login_required
def detail(portfolio_id: int):
    from ..iqa.services import assessed_by, samples_of  # iqa builds on this package

    portfolio = get_portfolio(portfolio_id, Action.VIEW)
    unit = get_unit(portfolio.unit_id)
    coverage = coverage_for(portfolio, unit, uk_today())
    # A signed-off portfolio is locked: the page shows everything and offers no changes.
    changeable = not portfolio.locked

    def allowed(action: Action) -> bool:
        return can(current_user, action, portfolio)

    return render_template("portfolios/detail.html", portfolio=portfolio, unit=unit,
                           coverage=coverage, to_judge=coverage.claims_in(AWAITING),
                           can_edit=allowed(Action.EDIT_EVIDENCE) and changeable,
                           can_judge=allowed(Action.JUDGE) and changeable,
                           can_audit=allowed(Action.AUDIT),
                           can_export=allowed(Action.EXPORT),
                           samples=samples_of(portfolio)
                           if allowed(Action.READ_QUALITY) else None,
                           can_sample=allowed(Action.SAMPLE)
                           and not assessed_by(current_user, portfolio),
                           witnesses=witness_rows(portfolio),
                           can_manage_witnesses=allowed(Action.MANAGE_WITNESSES) and changeable,
                           confirm=ConfirmForm())
