"""Enrolments: a learner on a unit (at its current version), with an assessor and an IQA."""

from __future__ import annotations

from sqlalchemy import select

from .. import audit
from ..access import assessed_by, claim_portfolio
from ..audit import AuditAction
from ..errors import DomainError, Problem, refuse
from ..extensions import db
from ..models import Portfolio, Role, Sample, User
from ..notify import link_to, notify
from ..spec import Unit
from ..units import pin


def enrolment_problems(learner: User | None, unit: Unit, assessor: User,
                       iqa: User) -> list[Problem]:
    """Every rule an enrolment must meet, for the form and for a CSV import alike: the
    learner is a learner not yet on the unit (None: an account about to be made), and the
    assessor and IQA are two people with those roles. Fields: learner, unit, assessor, iqa."""
    problems = []
    if learner is not None and learner.role != Role.LEARNER:
        problems.append(Problem("learner", f"{learner.name} is not a learner."))
    problems += judge_problems(assessor, iqa)
    if learner is not None and learner.id is not None and db.session.scalar(
            select(Portfolio.id).where(Portfolio.learner_id == learner.id,
                                       Portfolio.unit_id == unit.id)) is not None:
        problems.append(Problem("unit", f"{learner.name} is already enrolled on {unit.name}."))
    return problems


def enrol(learner: User, unit: Unit, assessor: User, iqa: User, *, actor: User | None) -> Portfolio:
    """Open a portfolio. The IQA may not be the assessor: nobody verifies their own decisions."""
    refuse(enrolment_problems(learner, unit, assessor, iqa))
    portfolio = Portfolio(learner_id=learner.id, unit_id=unit.id, assessor_id=assessor.id,
                          iqa_id=iqa.id)
    pin(portfolio, unit)
    db.session.add(portfolio)
    db.session.flush()
    audit.record(AuditAction.PORTFOLIO_ENROLLED, actor=actor, portfolio=portfolio,
                 summary=f"Enrolled {learner.email} on {unit.name}", unit_id=unit.id,
                 unit_version=unit.version, assessor=assessor.email, iqa=iqa.email)
    return portfolio


def move_to_version(portfolio: Portfolio, unit: Unit, *, actor: User) -> None:
    """Judge the portfolio against another version of its unit (the current file's, as a rule).

    Only an administrator moves a portfolio, never a signed-off one (reopen it first): every
    signature on it is superseded by the move, since the digest covers the unit version."""
    if actor.role != Role.ADMIN:
        raise DomainError("Only an administrator moves a portfolio to another unit version.")
    if unit.id != portfolio.unit_id:
        raise DomainError("That is a version of another unit.")
    if portfolio.locked or not claim_portfolio(portfolio):
        raise DomainError("This portfolio is signed off: reopen it first, giving a reason, then "
                          "move it to the new version.")
    before = portfolio.unit_version
    if before == unit.version:
        raise DomainError("The portfolio is already judged against this version.")
    pin(portfolio, unit)
    db.session.flush()
    audit.record(AuditAction.PORTFOLIO_UNIT_MOVED, actor=actor, portfolio=portfolio,
                 summary=f"Moved to version {unit.version[:12]} of {unit.name} (was "
                         f"{before[:12] or 'unrecorded'})",
                 unit_id=unit.id, before=before, after=unit.version)
    link = link_to("portfolios.detail", portfolio_id=portfolio.id)
    for person in (portfolio.learner, portfolio.assessor):
        notify(person, f"{portfolio.learner.name}'s portfolio is now judged against the latest "
               f"version of {unit.name}: check the gaps again.", link=link, portfolio=portfolio)


def judge_problems(assessor: User, iqa: User) -> list[Problem]:
    """The assessor and IQA have those roles, and are two people. Fields: assessor, iqa."""
    problems = []
    if assessor.role != Role.ASSESSOR:
        problems.append(Problem("assessor", f"{assessor.name} is not an assessor."))
    if iqa.role != Role.IQA:
        problems.append(Problem("iqa", f"{iqa.name} is not an IQA."))
    if assessor.id == iqa.id:
        problems.append(Problem("iqa", "The IQA must be someone other than the assessor."))
    return problems


def reassign(portfolio: Portfolio, assessor: User, iqa: User, *, actor: User) -> None:
    """Change a portfolio's assessor or IQA (for example after a conflict of interest).

    Decisions and samples already made keep their author; a sample still planned moves to the
    new IQA. The new IQA must not have taken part in assessing the portfolio.
    """
    if actor.role != Role.ADMIN:
        raise DomainError("Only an administrator changes who assesses and quality-assures.")
    refuse(judge_problems(assessor, iqa))
    if iqa.id != portfolio.iqa_id and assessed_by(iqa, portfolio):
        raise DomainError(f"{iqa.name} took part in assessing this portfolio, so cannot be its "
                          "IQA. Choose someone else.")
    before = {"assessor": portfolio.assessor.email, "iqa": portfolio.iqa.email}
    if (assessor.id, iqa.id) == (portfolio.assessor_id, portfolio.iqa_id):
        raise DomainError("Nothing to change: those are the current assessor and IQA.")
    portfolio.assessor_id, portfolio.iqa_id = assessor.id, iqa.id
    moved = db.session.scalars(select(Sample).where(Sample.portfolio_id == portfolio.id,
                                                    Sample.completed_at.is_(None))).all()
    for sample in moved:
        sample.iqa_id = iqa.id
    db.session.flush()
    db.session.expire(portfolio, ["assessor", "iqa"])
    audit.record(AuditAction.PORTFOLIO_REASSIGNED, actor=actor, portfolio=portfolio,
                 summary=f"Assessor {assessor.email}, IQA {iqa.email} (were "
                         f"{before['assessor']}, {before['iqa']})",
                 before=before, after={"assessor": assessor.email, "iqa": iqa.email},
                 samples_moved=[s.id for s in moved])
    link = link_to("portfolios.detail", portfolio_id=portfolio.id)
    for person, role in ((assessor, "assessor"), (iqa, "IQA")):
        if person.email not in before.values():
            notify(person, f"You are now the {role} for {portfolio.learner.name}'s portfolio.",
                   link=link, portfolio=portfolio)
