"""Portfolio facts for coverage and the caseload: a fixed number of queries for any number of
portfolios."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import func, select

from ..coverage import AWAITING, REFERRED, ClaimFact, Coverage, EvidenceFact, compute_coverage
from ..extensions import db
from ..models import (
    AuditEvent,
    Claim,
    Decision,
    Evidence,
    EvidenceResponse,
    Portfolio,
    Sample,
    SampleAction,
)
from ..spec import Unit


def load_facts(portfolio_ids: list[int]) -> dict[int, tuple[list[EvidenceFact], list[ClaimFact]]]:
    """Evidence and claims per portfolio, each claim with its state: four queries.

    A claim's state is its latest decision if that judged the evidence's current version;
    otherwise (never judged, or revised since) it is awaiting assessment.
    """
    facts: dict[int, tuple[list, list]] = {pid: ([], []) for pid in portfolio_ids}
    if not portfolio_ids:
        return facts
    versions: dict[int, int] = {}
    evidence_rows = db.session.execute(
        select(Evidence.id, Evidence.portfolio_id, Evidence.title, Evidence.method,
               Evidence.dated, Evidence.version)
        .where(Evidence.portfolio_id.in_(portfolio_ids))
        .order_by(Evidence.dated, Evidence.id))
    for row in evidence_rows:
        versions[row.id] = row.version
        facts[row.portfolio_id][0].append(
            EvidenceFact(id=row.id, title=row.title, method=row.method, dated=row.dated))
    latest: dict[int, tuple[str, str, int]] = {}
    decision_rows = db.session.execute(
        select(Decision.claim_id, Decision.outcome, Decision.feedback, Decision.evidence_version)
        .join(Claim).join(Evidence)
        .where(Evidence.portfolio_id.in_(portfolio_ids))
        .order_by(Decision.decided_at, Decision.id))
    for row in decision_rows:  # later rows overwrite earlier
        latest[row.claim_id] = (row.outcome, row.feedback, row.evidence_version)
    disputes: dict[int, str] = {}
    response_rows = db.session.execute(
        select(EvidenceResponse.evidence_id, EvidenceResponse.evidence_version,
               EvidenceResponse.response, EvidenceResponse.comment)
        .join(Evidence).where(Evidence.portfolio_id.in_(portfolio_ids))
        .order_by(EvidenceResponse.created_at, EvidenceResponse.id))
    for row in response_rows:  # the latest answer to the current version counts
        if row.evidence_version == versions.get(row.evidence_id):
            disputes[row.evidence_id] = row.comment if row.response == "disputed" else ""
    claim_rows = db.session.execute(
        select(Claim.id, Claim.evidence_id, Claim.criterion_id, Evidence.portfolio_id)
        .join(Evidence).where(Evidence.portfolio_id.in_(portfolio_ids)))
    for row in claim_rows:
        decision = latest.get(row.id)
        if decision is not None and decision[2] == versions[row.evidence_id]:
            state, feedback = decision[0], decision[1]
        else:
            state, feedback = AWAITING, ""
        facts[row.portfolio_id][1].append(ClaimFact(
            evidence_id=row.evidence_id, criterion_id=row.criterion_id, state=state,
            feedback=feedback, resubmitted=decision is not None and state == AWAITING,
            dispute=disputes.get(row.evidence_id, "")))
    return facts


def coverage_for(portfolio: Portfolio, unit: Unit, today: date) -> Coverage:
    evidence, claims = load_facts([portfolio.id])[portfolio.id]
    return compute_coverage(unit, evidence, claims, today)


def coverages_for(portfolios: list[Portfolio], units: dict[str, Unit],
                  today: date) -> dict[int, Coverage | None]:
    """Coverage for many portfolios at once (None where the unit's spec is not loaded)."""
    facts = load_facts([p.id for p in portfolios])
    out: dict[int, Coverage | None] = {}
    for p in portfolios:
        unit = units.get(p.unit_id)
        out[p.id] = compute_coverage(unit, *facts[p.id], today) if unit else None
    return out


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


# Reads, downloads and quality assurance are not activity on the learner's portfolio.
READS = ("evidence.file_downloaded", "eqa.viewed", "eqa.granted", "portfolio.exported",
         "portfolio.export_downloaded", "portfolio.verified", "audit.exported",
         "sample_pack.made")


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


def caseload(portfolios: list[Portfolio], units: dict[str, Unit],
             now: datetime) -> list[CaseloadRow]:
    """Portfolios with their progress and what needs doing, most urgent first.

    First those waiting on the assessor (most claims to judge first, then the longest
    quiet), then the rest, longest quiet first: a learner who has gone silent needs a call.
    A fixed number of queries however many learners there are.
    """
    coverages = coverages_for(portfolios, units, now.date())
    activity = last_activity([p.id for p in portfolios])
    actions = open_iqa_actions([p.id for p in portfolios])
    rows = []
    for p in portfolios:
        last = activity.get(p.id) or p.created_at
        n, due = actions.get(p.id, (0, None))
        rows.append(CaseloadRow(portfolio=p, unit=units.get(p.unit_id), coverage=coverages[p.id],
                                last_activity=last,
                                days_idle=(now - last).days if last else None,
                                iqa_actions=n, iqa_due=due))

    def urgency(row: CaseloadRow):
        return (not row.needs_assessor, -(row.awaiting + row.disputed), -(row.days_idle or 0),
                row.portfolio.learner.name.lower())
    return sorted(rows, key=urgency)
