"""Assessor decisions on claims. Appended, never overwritten."""

from __future__ import annotations

from .. import audit
from ..access import Action, can
from ..errors import DomainError, NotAllowed
from ..extensions import db
from ..models import Claim, ClaimOutcome, Decision, User


def record_decision(claim: Claim, outcome: str, feedback: str, *, assessor: User) -> Decision:
    """Append a decision (accept, or refer with feedback) to a claim's history.

    Only the portfolio's own assessor may judge. Earlier decisions are kept; the latest counts.
    """
    portfolio = claim.evidence.portfolio
    if not can(assessor, Action.JUDGE, portfolio):
        raise NotAllowed("Only this learner's assessor can judge their claims.")
    outcome = ClaimOutcome(outcome)
    feedback = (feedback or "").strip()
    if outcome == ClaimOutcome.REFERRED and not feedback:
        raise DomainError("Say what is missing when you refer a claim.")
    latest = claim.latest_decision
    if latest is not None and (latest.outcome, latest.feedback, latest.assessor_id) == (
            outcome.value, feedback, assessor.id):
        return latest  # the same decision sent twice (a double click): history stays clean
    decision = Decision(outcome=outcome.value, feedback=feedback, assessor_id=assessor.id)
    claim.decisions.append(decision)
    db.session.flush()
    audit.record(f"decision.{outcome.value}", actor=assessor, portfolio=portfolio,
                 summary=f"AC {claim.criterion_id} on “{claim.evidence.title}”: {outcome.value}",
                 claim_id=claim.id, evidence_id=claim.evidence_id,
                 criterion_id=claim.criterion_id, feedback=feedback)
    return decision
