"""The caseload: each portfolio's progress and what needs doing, a fixed number of queries for
any number of portfolios."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import func, select

from ..audit import READS
from ..clock import uk_today
from ..coverage import AWAITING, REFERRED, Coverage
from ..extensions import db
from ..facts import coverages_for
from ..models import AuditEvent, Portfolio, Sample, SampleAction
from ..spec import Unit


@dataclass(frozen=True)
class CaseloadRow:
    portfolio: Portfolio
    unit: Unit | None
    coverage: Coverage | None
    last_activity: datetime | None
    days_idle: int | None
    # The IQA's actions for the assessor still unanswered, and the earliest due date.
    iqa_actions: int = 0
    iqa_due: date | None = None

    @property
    def awaiting(self) -> int:
        return self.coverage.claims_in(AWAITING) if self.coverage else 0

    @property
    def referred(self) -> int:
        return self.coverage.claims_in(REFERRED) if self.coverage else 0

    @property
    def disputed(self) -> int:
        return self.coverage.disputed if self.coverage else 0

    @property
    def ready(self) -> bool:
        """Every criterion met and not signed off yet."""
        return bool(self.coverage and self.coverage.complete) and not self.portfolio.locked

    @property
    def needs_assessor(self) -> bool:
        """Something only the assessor can move on: claims to judge, a dispute, a sign-off,
        an IQA action."""
        return bool(self.awaiting or self.disputed or self.ready or self.iqa_actions)


def open_iqa_actions(portfolio_ids: list[int]) -> dict[int, tuple[int, date]]:
    """Unanswered IQA actions per portfolio: how many, and the earliest due date. One query."""
    if not portfolio_ids:
        return {}
    rows = db.session.execute(
        select(Sample.portfolio_id, func.count(SampleAction.id), func.min(SampleAction.due))
        .join(SampleAction.sample)
        .where(Sample.portfolio_id.in_(portfolio_ids), SampleAction.responded_at.is_(None))
        .group_by(Sample.portfolio_id))
    return {pid: (n, due if isinstance(due, date) else date.fromisoformat(str(due)))
            for pid, n, due in rows}


def last_activity(portfolio_ids: list[int]) -> dict[int, datetime]:
    """When each portfolio last changed (any audited change by anyone): one query."""
    if not portfolio_ids:
        return {}
    rows = db.session.execute(
        select(AuditEvent.portfolio_id, func.max(AuditEvent.created_at))
        .where(AuditEvent.portfolio_id.in_(portfolio_ids), AuditEvent.action.not_in(READS))
        .group_by(AuditEvent.portfolio_id))
    # max() comes back without the column type's conversion on some databases.
    return {pid: _aware(when) for pid, when in rows if when is not None}


def _aware(value) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def caseload(portfolios: list[Portfolio], units: dict[int, Unit | None],
             now: datetime) -> list[CaseloadRow]:
    """Portfolios with their progress and what needs doing, most urgent first.

    First those waiting on the assessor (most claims to judge first, then the longest
    quiet), then the rest, longest quiet first: a learner who has gone silent needs a call.
    A fixed number of queries however many learners there are. `units` maps each portfolio
    id to the unit version it is judged against (units.units_for).
    """
    coverages = coverages_for(portfolios, units, uk_today(now))
    activity = last_activity([p.id for p in portfolios])
    actions = open_iqa_actions([p.id for p in portfolios])
    rows = []
    for p in portfolios:
        last = activity.get(p.id) or p.created_at
        n, due = actions.get(p.id, (0, None))
        rows.append(CaseloadRow(portfolio=p, unit=units.get(p.id), coverage=coverages[p.id],
                                last_activity=last,
                                days_idle=(now - last).days if last else None,
                                iqa_actions=n, iqa_due=due))

    def urgency(row: CaseloadRow):
        return (not row.needs_assessor, -(row.awaiting + row.disputed), -(row.days_idle or 0),
                row.portfolio.learner.name.lower())
    return sorted(rows, key=urgency)
