"""The end of a learner's programme, and which portfolios are past their retention period.

Recording an end changes nothing in the portfolio itself (not its digest, not its lock): a
signed-off portfolio is the usual one to end. It is audited, and it can be corrected or
removed (a learner who comes back)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from .. import audit
from ..audit import AuditAction
from ..clock import uk_today
from ..errors import DomainError, NotAllowed
from ..extensions import db
from ..keeping import EndReason, ended_before, kept_until
from ..models import AuditEvent, Evidence, EvidenceFile, Portfolio, Role, Signature, User
from ..validators import FUTURE_DATE

PAGE_SIZE = 25


def retention_years() -> int:
    return int(current_app.config["RETENTION_YEARS"])


def day(value: date) -> str:
    """A date as the pages say it: 31 July 2021."""
    return f"{value.day} {value:%B %Y}"


def enrolled_on(portfolio: Portfolio) -> date:
    return uk_today(portfolio.created_at)


def record_end(portfolio: Portfolio, ended_on: date, reason: str, *, actor: User,
               today: date) -> None:
    """Record (or correct) the day the learner's programme ended, and why."""
    if actor.role != Role.ADMIN:
        raise NotAllowed("Only an administrator records the end of a learner's programme.")
    reason = EndReason(reason).value
    if ended_on > today:
        raise DomainError(FUTURE_DATE + " Record the end once the programme has ended.")
    if ended_on < enrolled_on(portfolio):
        raise DomainError(f"The learner was enrolled on {day(enrolled_on(portfolio))}: the "
                          "programme cannot have ended before that.")
    before = (portfolio.ended_on, portfolio.end_reason)
    if before == (ended_on, reason):
        raise DomainError("Nothing to change: that is the end already recorded.")
    portfolio.ended_on, portfolio.end_reason = ended_on, reason
    until = kept_until(ended_on, retention_years())
    audit.record(AuditAction.PORTFOLIO_END_RECORDED, actor=actor, portfolio=portfolio,
                 summary=f"Programme ended {day(ended_on)} ({EndReason(reason).label}); "
                         f"records kept until {day(until)}"
                         + (f" (was {day(before[0])}, {EndReason(before[1]).label})"
                            if before[0] else ""),
                 ended_on=ended_on, reason=reason, kept_until=until,
                 before={"ended_on": before[0], "reason": before[1]})


def remove_end(portfolio: Portfolio, *, actor: User) -> None:
    """The programme has not ended after all: its records are kept until an end is recorded."""
    if actor.role != Role.ADMIN:
        raise NotAllowed("Only an administrator records the end of a learner's programme.")
    if portfolio.ended_on is None:
        raise DomainError("No end is recorded for this programme.")
    before = (portfolio.ended_on, portfolio.end_reason)
    portfolio.ended_on, portfolio.end_reason = None, ""
    audit.record(AuditAction.PORTFOLIO_END_REMOVED, actor=actor, portfolio=portfolio,
                 summary=f"End of programme removed (was {day(before[0])}, "
                         f"{EndReason(before[1]).label})",
                 before={"ended_on": before[0], "reason": before[1]})


@dataclass(frozen=True)
class Counts:
    """What erasing a portfolio removes, in the figures the list shows."""

    evidence: int = 0
    files: int = 0
    bytes: int = 0
    signatures: int = 0
    audit_events: int = 0


def counts_for(ids: list[int]) -> dict[int, Counts]:
    """Counts per portfolio, four aggregate queries for any number of portfolios."""
    if not ids:
        return {}
    evidence = dict(db.session.execute(
        select(Evidence.portfolio_id, func.count(Evidence.id))
        .where(Evidence.portfolio_id.in_(ids)).group_by(Evidence.portfolio_id)).all())
    files = {p: (n, size) for p, n, size in db.session.execute(
        select(Evidence.portfolio_id, func.count(EvidenceFile.id),
               func.coalesce(func.sum(EvidenceFile.size), 0))
        .join(EvidenceFile, EvidenceFile.evidence_id == Evidence.id)
        .where(Evidence.portfolio_id.in_(ids)).group_by(Evidence.portfolio_id))}
    signatures = dict(db.session.execute(
        select(Signature.portfolio_id, func.count(Signature.id))
        .where(Signature.portfolio_id.in_(ids)).group_by(Signature.portfolio_id)).all())
    events = dict(db.session.execute(
        select(AuditEvent.portfolio_id, func.count(AuditEvent.id))
        .where(AuditEvent.portfolio_id.in_(ids)).group_by(AuditEvent.portfolio_id)).all())
    return {i: Counts(evidence=evidence.get(i, 0), files=files.get(i, (0, 0))[0],
                      bytes=int(files.get(i, (0, 0))[1]), signatures=signatures.get(i, 0),
                      audit_events=events.get(i, 0)) for i in ids}


def past_retention_query(today: date, years: int):
    """A select() of the portfolios past retention today, longest ended first."""
    return (select(Portfolio).where(Portfolio.ended_on.is_not(None),
                                    Portfolio.ended_on < ended_before(today, years))
            .order_by(Portfolio.ended_on, Portfolio.id))


@dataclass(frozen=True)
class Due:
    portfolio: Portfolio
    kept_until: date
    counts: Counts


@dataclass(frozen=True)
class DuePage:
    rows: list[Due]
    total: int
    page: int
    pages: int
    kept: int  # ended, still within retention
    open: int  # no end recorded: kept until one is


def due_for_erasure(today: date, years: int, *, page: int = 1,
                   size: int | None = PAGE_SIZE) -> DuePage:
    """The portfolios whose records may be erased today, a page at a time (size None: all),
    with what erasing each would remove; a constant number of queries a page."""
    query = past_retention_query(today, years)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    pages = max(1, math.ceil(total / size)) if size else 1
    page = min(max(page, 1), pages)
    if size:
        query = query.offset((page - 1) * size).limit(size)
    portfolios = db.session.scalars(query.options(selectinload(Portfolio.learner))).all()
    counts = counts_for([p.id for p in portfolios])
    cut = ended_before(today, years)
    kept = db.session.scalar(select(func.count(Portfolio.id)).where(
        Portfolio.ended_on >= cut)) or 0
    open_ = db.session.scalar(select(func.count(Portfolio.id)).where(
        Portfolio.ended_on.is_(None))) or 0
    return DuePage([Due(p, kept_until(p.ended_on, years), counts[p.id]) for p in portfolios],
                   total, page, pages, kept, open_)
