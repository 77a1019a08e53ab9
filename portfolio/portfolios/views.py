from flask import redirect, render_template, url_for
from flask_login import current_user, login_required
from sqlalchemy.orm import selectinload

from ..access import Action, get_portfolio, page_flags, visible_portfolios_query
from ..clock import uk_now, uk_today
from ..coverage import AWAITING
from ..evidence.forms import ConfirmForm
from ..extensions import db
from ..facts import coverage_for, samples_of
from ..models import Portfolio, Role
from ..units import unit_for, units_for
from ..witness.services import witness_rows
from . import bp
from .services import caseload


@bp.route("/")
@login_required
def index():
    query = visible_portfolios_query(current_user).options(
        selectinload(Portfolio.learner), selectinload(Portfolio.assessor),
        selectinload(Portfolio.iqa))
    portfolios = db.session.scalars(query).all()
    if current_user.role == Role.LEARNER and len(portfolios) == 1:
        return redirect(url_for(".detail", portfolio_id=portfolios[0].id))
    rows = caseload(portfolios, units_for(portfolios), uk_now())
    return render_template("portfolios/index.html", rows=rows)


@bp.route("/<int:portfolio_id>")
@login_required
def detail(portfolio_id: int):
    portfolio = get_portfolio(portfolio_id, Action.VIEW)
    unit = unit_for(portfolio)
    coverage = coverage_for(portfolio, unit, uk_today())
    flags = page_flags(current_user, portfolio)
    return render_template("portfolios/detail.html", portfolio=portfolio, unit=unit,
                           coverage=coverage, to_judge=coverage.claims_in(AWAITING),
                           can_edit=flags.edit, can_judge=flags.judge, can_audit=flags.audit,
                           can_export=flags.export,
                           samples=samples_of(portfolio) if flags.read_quality else None,
                           can_sample=flags.sample, witnesses=witness_rows(portfolio),
                           can_manage_witnesses=flags.manage_witnesses, confirm=ConfirmForm())
