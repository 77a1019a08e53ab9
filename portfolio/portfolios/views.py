from datetime import UTC, date, datetime

from flask import redirect, render_template, url_for
from flask_login import current_user, login_required
from sqlalchemy.orm import selectinload

from ..access import Action, can, get_portfolio, visible_portfolios_query
from ..coverage import AWAITING
from ..evidence.forms import ConfirmForm
from ..extensions import db
from ..models import Portfolio, Role
from ..units import all_units, get_unit
from ..witness.views import can_manage, witness_rows
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
    rows = caseload(portfolios, all_units(), datetime.now(UTC))
    return render_template("portfolios/index.html", rows=rows)


@bp.route("/<int:portfolio_id>")
@login_required
def detail(portfolio_id: int):
    portfolio = get_portfolio(portfolio_id, Action.VIEW)
    unit = get_unit(portfolio.unit_id)
    coverage = coverage_for(portfolio, unit, date.today())
    return render_template("portfolios/detail.html", portfolio=portfolio, unit=unit,
                           coverage=coverage, to_judge=coverage.claims_in(AWAITING),
                           can_edit=can(current_user, Action.EDIT_EVIDENCE, portfolio)
                           and not portfolio.locked,
                           can_judge=can(current_user, Action.JUDGE, portfolio)
                           and not portfolio.locked,
                           can_audit=can(current_user, Action.AUDIT, portfolio),
                           witnesses=witness_rows(portfolio),
                           can_manage_witnesses=can_manage(portfolio) and not portfolio.locked,
                           confirm=ConfirmForm())
