"""Enrolments: a learner on a unit, with an assessor and an IQA."""

from __future__ import annotations

from sqlalchemy import select

from .. import audit
from ..errors import DomainError
from ..extensions import db
from ..models import Portfolio, Role, User
from ..spec import Unit


def enrol(learner: User, unit: Unit, assessor: User, iqa: User, *, actor: User | None) -> Portfolio:
    """Open a portfolio. The IQA may not be the assessor: nobody verifies their own decisions."""
    if learner.role != Role.LEARNER:
        raise DomainError(f"{learner.name} is not a learner.")
    if assessor.role != Role.ASSESSOR:
        raise DomainError(f"{assessor.name} is not an assessor.")
    if iqa.role != Role.IQA:
        raise DomainError(f"{iqa.name} is not an IQA.")
    if assessor.id == iqa.id:
        raise DomainError("The IQA must be someone other than the assessor.")
    existing = db.session.scalar(select(Portfolio).where(
        Portfolio.learner_id == learner.id, Portfolio.unit_id == unit.id))
    if existing is not None:
        raise DomainError(f"{learner.name} is already enrolled on {unit.name}.")
    portfolio = Portfolio(learner_id=learner.id, unit_id=unit.id, assessor_id=assessor.id,
                          iqa_id=iqa.id)
    db.session.add(portfolio)
    db.session.flush()
    audit.record("portfolio.enrolled", actor=actor, portfolio=portfolio,
                 summary=f"Enrolled {learner.email} on {unit.name}", unit_id=unit.id,
                 assessor=assessor.email, iqa=iqa.email)
    return portfolio
