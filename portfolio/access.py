"""Who may see or change which portfolio: one function, used by every view and service.

Views call `get_portfolio(id, action)`; a portfolio the user may not see is a 404 (we do not
confirm it exists); one they may see but not act on is a 403.
"""

from __future__ import annotations

from enum import StrEnum

from flask import abort
from flask_login import current_user
from sqlalchemy import or_, select

from .extensions import db
from .models import Portfolio, Role, User


class Action(StrEnum):
    VIEW = "view"  # the portfolio page, its evidence and files
    EDIT_EVIDENCE = "edit_evidence"  # add, change, delete the learner's own evidence and claims
    JUDGE = "judge"  # record decisions on claims, write records, sign the portfolio off
    COUNTERSIGN = "countersign"  # the portfolio's IQA, never its assessor
    REOPEN = "reopen"  # unlock a signed-off portfolio, with a reason
    AUDIT = "audit"  # read the portfolio's audit trail
    MANAGE_WITNESSES = "manage_witnesses"  # revoke a waiting witness link


def can(user: User | None, action: Action, portfolio: Portfolio) -> bool:
    """The one permission rule. Pure: no request, no database."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    is_learner = user.id == portfolio.learner_id
    is_assessor = user.id == portfolio.assessor_id
    is_iqa = user.id == portfolio.iqa_id
    if action == Action.VIEW:
        return user.role == Role.ADMIN or is_learner or is_assessor or is_iqa
    if action == Action.EDIT_EVIDENCE:
        return is_learner and user.role == Role.LEARNER
    if action == Action.JUDGE:
        return is_assessor and user.role == Role.ASSESSOR
    if action == Action.COUNTERSIGN:
        return is_iqa and not is_assessor and user.role == Role.IQA
    if action == Action.REOPEN:
        return user.role == Role.ADMIN or (is_assessor and user.role == Role.ASSESSOR)
    if action == Action.MANAGE_WITNESSES:
        return (is_learner and user.role == Role.LEARNER) or (
            is_assessor and user.role == Role.ASSESSOR)
    if action == Action.AUDIT:
        return user.role == Role.ADMIN or (is_assessor and user.role == Role.ASSESSOR) or (
            is_iqa and user.role == Role.IQA)
    return False


def visible_portfolios_query(user: User):
    """A select() of the portfolios `user` may view, matching can(user, VIEW, ...)."""
    query = select(Portfolio).order_by(Portfolio.id)
    if user.role == Role.ADMIN:
        return query
    return query.where(or_(Portfolio.learner_id == user.id, Portfolio.assessor_id == user.id,
                           Portfolio.iqa_id == user.id))


def get_portfolio(portfolio_id: int, action: Action = Action.VIEW) -> Portfolio:
    portfolio = db.session.get(Portfolio, portfolio_id)
    return check(portfolio, action)


def check(portfolio: Portfolio | None, action: Action) -> Portfolio:
    """404 unless the current user may view the portfolio; 403 unless they may do `action`."""
    if portfolio is None or not can(current_user, Action.VIEW, portfolio):
        abort(404)
    if not can(current_user, action, portfolio):
        abort(403)
    return portfolio
