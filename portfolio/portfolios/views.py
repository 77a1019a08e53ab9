from flask import current_app, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..access import (
    Action,
    CentreAction,
    get_portfolio,
    may,
    page_flags,
    visible_portfolios_query,
)
from ..clock import uk_now, uk_today
from ..coverage import AWAITING
from ..evidence.forms import ConfirmForm
from ..extensions import db
from ..facts import coverage_for, samples_of
from ..keeping import kept_until, past_retention
from ..models import Role
from ..signoff.services import sign_off_problem
from ..units import newer_version, unit_for
from ..witness.services import witness_rows
from . import bp
from .services import SORTS, caseload


@bp.route("/")
@login_required
def index():
    if current_user.role == Role.LEARNER:
        own = db.session.scalars(visible_portfolios_query(current_user).limit(2)).all()
        if len(own) == 1:
            return redirect(url_for(".detail", portfolio_id=own[0].id))
    listing = caseload(current_user, uk_now(), q=request.args.get("q", "")[:100],
                       sort=request.args.get("sort", "urgency"),
                       page=request.args.get("page", 1, type=int))
    return render_template("portfolios/index.html", listing=listing, rows=listing.rows,
                           sorts=SORTS)


@bp.route("/<int:portfolio_id>")
@login_required
def detail(portfolio_id: int):
    portfolio = get_portfolio(portfolio_id, Action.VIEW)
    unit = unit_for(portfolio)
    coverage = coverage_for(portfolio, unit, uk_today())
    flags = page_flags(current_user, portfolio)
    # What a sign-off today would rest on, and what stands in its way.
    not_ready = None if portfolio.locked or not coverage.complete else sign_off_problem(
        coverage_for(portfolio, unit, uk_today(), at_sign_off=True))
    years = current_app.config["RETENTION_YEARS"]
    return render_template("portfolios/detail.html", portfolio=portfolio, unit=unit,
                           coverage=coverage, to_judge=coverage.claims_in(AWAITING),
                           not_ready=not_ready, newer=newer_version(portfolio),
                           may_move=may(current_user, CentreAction.MANAGE_ACCOUNTS),
                           can_edit=flags.edit, can_judge=flags.judge, can_audit=flags.audit,
                           can_export=flags.export,
                           samples=samples_of(portfolio) if flags.read_quality else None,
                           can_sample=flags.sample, witnesses=witness_rows(portfolio),
                           can_manage_witnesses=flags.manage_witnesses,
                           can_check_witnesses=flags.check_witnesses, confirm=ConfirmForm(),
                           show_retention=flags.retention,
                           kept_until=kept_until(portfolio.ended_on, years),
                           past_retention=past_retention(portfolio.ended_on, years, uk_today()),
                           may_keep=may(current_user, CentreAction.KEEP_RECORDS))


@bp.route("/<int:portfolio_id>/unit")
@login_required
def unit(portfolio_id: int):
    """The unit as this portfolio is judged against it: its assessment requirements, and
    for each criterion what meets it, what only supports it, and how much is needed."""
    portfolio = get_portfolio(portfolio_id, Action.VIEW)
    return render_template("portfolios/unit.html", portfolio=portfolio,
                           unit=unit_for(portfolio), newer=newer_version(portfolio))
