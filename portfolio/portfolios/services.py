"""The caseload: each portfolio's progress and what needs doing, a page at a time.

Sorted, searched and counted in SQL over the portfolios' summaries (summaries.py), with last
activity and open IQA actions as aggregates: a page of 25 costs the same for 50 learners or
5,000, and only summaries made stale by a change or by time are judged again."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import aliased, selectinload

from .. import summaries
from ..access import visible_portfolios_query
from ..audit import READS
from ..clock import uk_today
from ..extensions import db
from ..models import AuditEvent, Portfolio, PortfolioSummary, Sample, SampleAction, User
from ..spec import Unit
from ..units import units_for

PAGE_SIZE = 25
SORTS = {"urgency": "What needs the assessor first", "name": "Learner name, A to Z",
         "progress": "Least progress first", "quiet": "Longest quiet first"}


@dataclass(frozen=True)
class CaseloadRow:
    portfolio: Portfolio
    unit: Unit | None
    summary: PortfolioSummary | None
    last_activity: datetime | None
    days_idle: int | None
    # The IQA's actions for the assessor still unanswered, and the earliest due date.
    iqa_actions: int = 0
    iqa_due: date | None = None

    @property
    def awaiting(self) -> int:
        return self.summary.awaiting if self.summary else 0

    @property
    def referred(self) -> int:
        return self.summary.referred if self.summary else 0

    @property
    def disputed(self) -> int:
        return self.summary.disputed if self.summary else 0

    @property
    def ready(self) -> bool:
        """Every criterion met and not signed off yet."""
        return bool(self.summary and self.summary.complete) and not self.portfolio.locked

    @property
    def needs_assessor(self) -> bool:
        """Something only the assessor can move on: claims to judge, a dispute, a sign-off,
        an IQA action."""
        return bool(self.awaiting or self.disputed or self.ready or self.iqa_actions)


@dataclass(frozen=True)
class CaseloadPage:
    rows: list[CaseloadRow]
    total: int  # portfolios matching the search, on every page
    page: int
    pages: int
    sort: str
    q: str


def _activity(portfolio_ids):
    """Last audited change per portfolio among `portfolio_ids` (reads are not activity)."""
    return (select(AuditEvent.portfolio_id.label("portfolio_id"),
                   func.max(AuditEvent.created_at).label("last"))
            .where(AuditEvent.portfolio_id.in_(portfolio_ids), AuditEvent.action.not_in(READS))
            .group_by(AuditEvent.portfolio_id).subquery())


def _actions():
    """Unanswered IQA actions per portfolio: how many, and the earliest due date."""
    return (select(Sample.portfolio_id.label("portfolio_id"),
                   func.count(SampleAction.id).label("n"), func.min(SampleAction.due).label("due"))
            .join(SampleAction.sample).where(SampleAction.responded_at.is_(None))
            .group_by(Sample.portfolio_id).subquery())


def caseload(user: User, now: datetime, *, q: str = "", sort: str = "urgency",
             page: int = 1, per_page: int = PAGE_SIZE) -> CaseloadPage:
    """One page of the portfolios `user` may see, with their progress and what needs doing.

    "urgency": first those waiting on the assessor (most claims to judge and disputes first,
    then the longest quiet), then the rest, longest quiet first: a learner who has gone
    silent needs a call."""
    sort = sort if sort in SORTS else "urgency"
    visible = visible_portfolios_query(user).with_only_columns(Portfolio.id).order_by(None)
    summaries.refresh(visible.scalar_subquery(), uk_today(now))
    learner, s = aliased(User), PortfolioSummary
    activity, actions = _activity(visible.scalar_subquery()), _actions()
    last = func.coalesce(activity.c.last, Portfolio.created_at)
    needs = case((or_(s.awaiting > 0, s.disputed > 0,
                      and_(s.complete.is_(True), Portfolio.locked_at.is_(None)),
                      func.coalesce(actions.c.n, 0) > 0), 0), else_=1)
    name = func.lower(learner.name)
    order = {"urgency": (needs, -func.coalesce(s.awaiting + s.disputed, 0), last, name),
             "name": (name, Portfolio.id),
             "progress": (func.coalesce(s.met, 0), last, name),
             "quiet": (last, name)}[sort]
    query = (select(Portfolio, s, activity.c.last, actions.c.n, actions.c.due)
             .join(learner, learner.id == Portfolio.learner_id)
             .outerjoin(s, s.portfolio_id == Portfolio.id)
             .outerjoin(activity, activity.c.portfolio_id == Portfolio.id)
             .outerjoin(actions, actions.c.portfolio_id == Portfolio.id)
             .where(Portfolio.id.in_(visible.scalar_subquery())))
    if q.strip():
        query = query.where(learner.name.ilike(f"%{_escape(q.strip())}%", escape="\\"))
    total = db.session.scalar(select(func.count()).select_from(
        query.with_only_columns(Portfolio.id).subquery())) or 0
    pages = max(1, math.ceil(total / per_page))
    page = min(max(1, page), pages)
    found = db.session.execute(
        query.order_by(*order, Portfolio.id).limit(per_page).offset((page - 1) * per_page)
        .options(selectinload(Portfolio.learner), selectinload(Portfolio.assessor))).all()
    units = units_for([row[0] for row in found])
    rows = []
    for p, summary, when, n, due in found:
        when = _aware(when) if when is not None else p.created_at
        rows.append(CaseloadRow(portfolio=p, unit=units.get(p.id), summary=summary,
                                last_activity=when,
                                days_idle=(now - when).days if when else None,
                                iqa_actions=n or 0, iqa_due=_day(due)))
    return CaseloadPage(rows=rows, total=total, page=page, pages=pages, sort=sort, q=q)


def last_activity(portfolio_ids: list[int]) -> dict[int, datetime]:
    """When each portfolio last changed (any audited change by anyone): one query."""
    if not portfolio_ids:
        return {}
    activity = _activity(portfolio_ids)
    rows = db.session.execute(select(activity.c.portfolio_id, activity.c.last))
    return {pid: _aware(when) for pid, when in rows if when is not None}


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _day(value) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def _aware(value) -> datetime:
    # max() comes back without the column type's conversion on some databases.
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)
