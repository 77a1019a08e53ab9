"""Assessor decisions on claims. Appended, never overwritten."""

from __future__ import annotations

from .. import audit
from ..access import Action, can
from ..errors import DomainError, NotAllowed
from ..extensions import db
from ..models import Claim, ClaimOutcome, Decision, User


def record_decision(claim: Claim, outcome: str, feedback: str, *, assessor: User) -> Decision:
    """Accept or refer a claim. A referral must say what is missing."""
    portfolio = claim.evidence.portfolio
    if not can(assessor, Action.JUDGE, portfolio):
        raise NotAllowed("Only this learner's assessor can judge their claims.")
    outcome = ClaimOutcome(outcome)
    feedback = (feedback or "").strip()
    if outcome == ClaimOutcome.REFERRED and not feedback:
        raise DomainError("Say what is missing when you refer a claim.")
    decision = Decision(outcome=outcome.value, feedback=feedback, assessor_id=assessor.id)
    claim.decisions.append(decision)
    db.session.flush()
    audit.record(f"decision.{outcome.value}", actor=assessor, portfolio=portfolio,
                 summary=f"AC {claim.criterion_id} on “{claim.evidence.title}”: {outcome.value}",
                 claim_id=claim.id, evidence_id=claim.evidence_id,
                 criterion_id=claim.criterion_id, feedback=feedback)
    return decision
