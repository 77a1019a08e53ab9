from datetime import date

from flask import redirect, render_template, url_for
from flask_login import current_user, login_required
from sqlalchemy.orm import selectinload

from ..access import Action, can, get_portfolio, visible_portfolios_query
from ..extensions import db
from ..models import Portfolio, Role
from ..units import all_units, get_unit
from . import bp
from .services import coverage_for, coverages_for


@bp.route("/")
@login_required
def index():
    query = visible_portfolios_query(current_user).options(
        selectinload(Portfolio.learner), selectinload(Portfolio.assessor),
        selectinload(Portfolio.iqa))
    portfolios = db.session.scalars(query).all()
    if current_user.role == Role.LEARNER and len(portfolios) == 1:
        return redirect(url_for(".detail", portfolio_id=portfolios[0].id))
    coverages = coverages_for(portfolios, all_units(), date.today())
    return render_template("portfolios/index.html", portfolios=portfolios, coverages=coverages,
                           units=all_units())


@bp.route("/<int:portfolio_id>")
@login_required
def detail(portfolio_id: int):
    portfolio = get_portfolio(portfolio_id, Action.VIEW)
    unit = get_unit(portfolio.unit_id)
    coverage = coverage_for(portfolio, unit, date.today())
    return render_template("portfolios/detail.html", portfolio=portfolio, unit=unit,
                           coverage=coverage,
                           can_edit=can(current_user, Action.EDIT_EVIDENCE, portfolio))
