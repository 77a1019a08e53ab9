"""Portfolio facts for coverage: a fixed number of queries for any number of portfolios."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from ..coverage import AWAITING, ClaimFact, Coverage, EvidenceFact, compute_coverage
from ..extensions import db
from ..models import Claim, Decision, Evidence, Portfolio
from ..spec import Unit


def load_facts(portfolio_ids: list[int]) -> dict[int, tuple[list[EvidenceFact], list[ClaimFact]]]:
    """Evidence and claims (with each claim's latest decision) per portfolio: three queries."""
    facts: dict[int, tuple[list, list]] = {pid: ([], []) for pid in portfolio_ids}
    if not portfolio_ids:
        return facts
    evidence_rows = db.session.execute(
        select(Evidence.id, Evidence.portfolio_id, Evidence.title, Evidence.method,
               Evidence.dated)
        .where(Evidence.portfolio_id.in_(portfolio_ids))
        .order_by(Evidence.dated, Evidence.id))
    for row in evidence_rows:
        facts[row.portfolio_id][0].append(
            EvidenceFact(id=row.id, title=row.title, method=row.method, dated=row.dated))
    latest: dict[int, tuple[str, str]] = {}
    decision_rows = db.session.execute(
        select(Decision.claim_id, Decision.outcome, Decision.feedback)
        .join(Claim).join(Evidence)
        .where(Evidence.portfolio_id.in_(portfolio_ids))
        .order_by(Decision.decided_at, Decision.id))
    for row in decision_rows:
        latest[row.claim_id] = (row.outcome, row.feedback)  # later rows overwrite earlier
    claim_rows = db.session.execute(
        select(Claim.id, Claim.evidence_id, Claim.criterion_id, Evidence.portfolio_id)
        .join(Evidence).where(Evidence.portfolio_id.in_(portfolio_ids)))
    for row in claim_rows:
        state, feedback = latest.get(row.id, (AWAITING, ""))
        facts[row.portfolio_id][1].append(ClaimFact(
            evidence_id=row.evidence_id, criterion_id=row.criterion_id, state=state,
            feedback=feedback))
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
