"""Who may see or change which portfolio: one function, used by every view and service.

Views call `get_portfolio(id, action)`; a portfolio the user may not see is a 404 (we do not
confirm it exists); one they may see but not act on is a 403.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from flask import abort, g, has_request_context
from flask_login import current_user
from sqlalchemy import or_, select

from .extensions import db
from .models import Portfolio, Role, User, current_grants


class Action(StrEnum):
    VIEW = "view"  # the portfolio page, its evidence and files
    EDIT_EVIDENCE = "edit_evidence"  # add, change, delete the learner's own evidence and claims
    JUDGE = "judge"  # record decisions on claims, write records, sign the portfolio off
    COUNTERSIGN = "countersign"  # the portfolio's IQA, never its assessor
    REOPEN = "reopen"  # unlock a signed-off portfolio, with a reason
    AUDIT = "audit"  # read the portfolio's audit trail
    MANAGE_WITNESSES = "manage_witnesses"  # revoke a waiting witness link
    EXPORT = "export"  # make the signed PDF (everyone who views it, except an EQA)
    SAMPLE = "sample"  # the portfolio's IQA: plan it, review its decisions, record an outcome
    READ_QUALITY = "read_quality"  # sample records: assessor, IQA, admin, EQA; not the learner


def can(user: User | None, action: Action, portfolio: Portfolio) -> bool:
    """The one permission rule. No request; for an EQA, their grants (loaded once per user)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if user.role == Role.EQA:  # read-only, named portfolios, while a grant is current
        return action in (Action.VIEW, Action.READ_QUALITY) and (
            portfolio.id in eqa_portfolio_ids(user))
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
    if action == Action.EXPORT:
        return user.role == Role.ADMIN or is_learner or is_assessor or is_iqa
    if action == Action.SAMPLE:
        return is_iqa and not is_assessor and user.role == Role.IQA
    if action == Action.READ_QUALITY:
        return user.role == Role.ADMIN or (is_assessor and user.role == Role.ASSESSOR) or (
            is_iqa and user.role == Role.IQA)
    if action == Action.AUDIT:
        return user.role == Role.ADMIN or (is_assessor and user.role == Role.ASSESSOR) or (
            is_iqa and user.role == Role.IQA)
    return False


def may_see_plan(user: User | None, iqa: User) -> bool:
    """An IQA's sampling plan: that IQA, an admin, or an EQA with a portfolio it covers."""
    if user is None or not user.is_authenticated or not user.is_active or iqa.role != Role.IQA:
        return False
    if user.role == Role.ADMIN or user.id == iqa.id:
        return True
    if user.role == Role.EQA:
        return any(p.iqa_id == iqa.id for grant in current_grants(user) for p in grant.portfolios)
    return False


def eqa_portfolio_ids(user: User, now: datetime | None = None) -> set[int]:
    """The portfolios an EQA's current grants name (none once every grant has ended)."""
    return {p.id for grant in current_grants(user, now) for p in grant.portfolios}


def visible_portfolios_query(user: User):
    """A select() of the portfolios `user` may view, matching can(user, VIEW, ...)."""
    query = select(Portfolio).order_by(Portfolio.id)
    if user.role == Role.ADMIN:
        return query
    if user.role == Role.EQA:
        return query.where(Portfolio.id.in_(eqa_portfolio_ids(user)))
    return query.where(or_(Portfolio.learner_id == user.id, Portfolio.assessor_id == user.id,
                           Portfolio.iqa_id == user.id))


def get_portfolio(portfolio_id: int, action: Action = Action.VIEW) -> Portfolio:
    portfolio = db.session.get(Portfolio, portfolio_id)
    return check(portfolio, action)


def check(portfolio: Portfolio | None, action: Action) -> Portfolio:
    """404 unless the current user may view the portfolio; 403 unless they may do `action`."""
    if portfolio is None or not can(current_user, Action.VIEW, portfolio):
        abort(404)
    if has_request_context():  # for the log of what an EQA viewed
        g.viewed_portfolio_id = portfolio.id
    if not can(current_user, action, portfolio):
        abort(403)
    return portfolio
