"""Reading a portfolio's facts from the database, for the pure core and for every blueprint.

Everything here only reads. It sits below the blueprints (they all import it; it imports
none of them), so the coverage, the digest and the samples of a portfolio are read one way:
- `load_facts` / `coverage_for` / `coverages_for`: evidence and claims for `coverage.py`, a
  fixed number of queries for any number of portfolios;
- `portfolio_state` / `current_digest` / `signature_statuses`: what a signature vouches for,
  for `signing.py`;
- `samples_of`: a portfolio's IQA samples, newest first.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from .ai_use import DRAFTING
from .clock import uk_today
from .coverage import AWAITING, ClaimFact, Coverage, EvidenceFact, compute_coverage
from .extensions import db
from .models import (
    Claim,
    Decision,
    Evidence,
    EvidenceResponse,
    Portfolio,
    Sample,
    WitnessRequest,
)
from .signing import SignatureStatus, digest_of, statuses
from .spec import Unit


def _ai_drafted(ai_used, purposes_json: str | None) -> bool:
    return bool(ai_used) and DRAFTING in json.loads(purposes_json or "[]")


def fact_of(evidence: Evidence) -> EvidenceFact:
    """One item as coverage reads it (what load_facts makes for a whole portfolio)."""
    return EvidenceFact(id=evidence.id, title=evidence.title, method=evidence.method,
                        dated=evidence.dated,
                        witness_verified=bool(evidence.witness and evidence.witness.verified_how),
                        ai_drafted=_ai_drafted(evidence.ai_used, evidence.ai_purposes_json))


def load_facts(portfolio_ids: list[int]) -> dict[int, tuple[list[EvidenceFact], list[ClaimFact]]]:
    """Evidence and claims per portfolio, each claim with its state: four queries.

    A claim's state is its latest decision if that judged the evidence's current version;
    otherwise (never judged, or revised since) it is awaiting assessment. Its range items are
    those the assessor confirmed with that decision, or the learner's while it awaits; its
    decision day is the UK date of that decision.
    """
    facts: dict[int, tuple[list, list]] = {pid: ([], []) for pid in portfolio_ids}
    if not portfolio_ids:
        return facts
    versions: dict[int, int] = {}
    evidence_rows = db.session.execute(
        select(Evidence.id, Evidence.portfolio_id, Evidence.title, Evidence.method,
               Evidence.dated, Evidence.version, Evidence.ai_used, Evidence.ai_purposes_json,
               WitnessRequest.verified_how)
        .outerjoin(WitnessRequest, WitnessRequest.evidence_id == Evidence.id)
        .where(Evidence.portfolio_id.in_(portfolio_ids))
        .order_by(Evidence.dated, Evidence.id))
    for row in evidence_rows:
        versions[row.id] = row.version
        facts[row.portfolio_id][0].append(
            EvidenceFact(id=row.id, title=row.title, method=row.method, dated=row.dated,
                         witness_verified=bool(row.verified_how),
                         ai_drafted=_ai_drafted(row.ai_used, row.ai_purposes_json)))
    latest: dict[int, tuple] = {}
    decision_rows = db.session.execute(
        select(Decision.claim_id, Decision.outcome, Decision.feedback, Decision.evidence_version,
               Decision.decided_at, Decision.range_json)
        .join(Claim).join(Evidence)
        .where(Evidence.portfolio_id.in_(portfolio_ids))
        .order_by(Decision.decided_at, Decision.id))
    for row in decision_rows:  # later rows overwrite earlier
        latest[row.claim_id] = (row.outcome, row.feedback, row.evidence_version,
                                uk_today(row.decided_at), row.range_json)
    disputes: dict[int, str] = {}
    answers: dict[int, str] = {}
    response_rows = db.session.execute(
        select(EvidenceResponse.evidence_id, EvidenceResponse.evidence_version,
               EvidenceResponse.response, EvidenceResponse.comment)
        .join(Evidence).where(Evidence.portfolio_id.in_(portfolio_ids))
        .order_by(EvidenceResponse.created_at, EvidenceResponse.id))
    for row in response_rows:  # the latest answer to the current version counts
        if row.evidence_version == versions.get(row.evidence_id):
            disputes[row.evidence_id] = row.comment if row.response == "disputed" else ""
            answers[row.evidence_id] = row.response
    claim_rows = db.session.execute(
        select(Claim.id, Claim.evidence_id, Claim.criterion_id, Claim.range_json,
               Claim.withdrawn_reason, Claim.withdrawn_at, Evidence.portfolio_id)
        .join(Evidence).where(Evidence.portfolio_id.in_(portfolio_ids)))
    for row in claim_rows:
        decision = latest.get(row.id)
        if decision is not None and decision[2] == versions[row.evidence_id]:
            state, feedback, decided_on, items = decision[0], decision[1], decision[3], \
                decision[4]
        else:
            state, feedback, decided_on, items = AWAITING, "", None, row.range_json
        facts[row.portfolio_id][1].append(ClaimFact(
            evidence_id=row.evidence_id, criterion_id=row.criterion_id, state=state,
            feedback=feedback, resubmitted=decision is not None and state == AWAITING,
            dispute=disputes.get(row.evidence_id, ""), decided_on=decided_on,
            range_items=tuple(json.loads(items or "[]")),
            withdrawn=(row.withdrawn_reason or "withdrawn") if row.withdrawn_at else ""))
    for evidence_list, _ in facts.values():  # the learner's answer to each record's version
        evidence_list[:] = [replace(e, answer=answers.get(e.id, "")) for e in evidence_list]
    return facts


def signed_on(portfolio: Portfolio) -> date | None:
    """The UK day of the portfolio's sign-off, while it stands (the portfolio is locked)."""
    return uk_today(portfolio.locked_at) if portfolio.locked_at else None


def coverage_for(portfolio: Portfolio, unit: Unit, today: date, *,
                 at_sign_off: bool = False) -> Coverage:
    """The verdict on `today`; a signed-off portfolio keeps the one it was signed with.

    `at_sign_off`: judge as if signed off today (what a sign-off now would rest on)."""
    evidence, claims = load_facts([portfolio.id])[portfolio.id]
    return compute_coverage(unit, evidence, claims, today,
                            signed_on=today if at_sign_off else signed_on(portfolio))


def coverages_for(portfolios: list[Portfolio], units: dict[int, Unit | None],
                  today: date) -> dict[int, Coverage | None]:
    """Coverage for many portfolios at once; `units` maps each portfolio id to its unit
    version (None where it is not loaded, and then so is its coverage)."""
    facts = load_facts([p.id for p in portfolios])
    out: dict[int, Coverage | None] = {}
    for p in portfolios:
        unit = units.get(p.id)
        out[p.id] = (compute_coverage(unit, *facts[p.id], today, signed_on=signed_on(p))
                     if unit else None)
    return out


def evidence_fields(e: Evidence) -> dict:
    """An item's own fields as plain data: one serialisation for its versions and the digest."""
    return {
        "title": e.title, "method": e.method, "dated": e.dated.isoformat(),
        "context": e.context or "", "account_md": e.account_md or "",
        "place": e.place or "",
        "start_time": e.start_time.strftime("%H:%M") if e.start_time else None,
        "duration_minutes": e.duration_minutes, "questions_md": e.questions_md or "",
        # Only once answered, so an item without an answer reads (and digests) as it always has.
        **({"ai_use": e.ai_use.state()} if e.ai_use is not None else {}),
    }


def portfolio_state(portfolio: Portfolio) -> dict:
    """Everything a signature vouches for, as plain sorted data (ids, never row order): each
    evidence item's content, file hashes and version, every claim and every decision, the
    learner's answers to assessors' records, and every witness statement with its signature."""
    items = db.session.scalars(
        select(Evidence).where(Evidence.portfolio_id == portfolio.id)
        .options(selectinload(Evidence.files), selectinload(Evidence.responses),
                 selectinload(Evidence.witness),
                 selectinload(Evidence.claims).selectinload(Claim.decisions))
        .order_by(Evidence.id)).all()
    evidence = {}
    for e in items:
        evidence[str(e.id)] = {
            **evidence_fields(e),
            "author_id": e.author_id, "version": e.version,
            "files": sorted(f.sha256 for f in e.files),
            "claims": {c.criterion_id: _claim_state(c) for c in e.claims},
            "responses": [{"id": r.id, "response": r.response, "comment": r.comment,
                           "evidence_version": r.evidence_version} for r in e.responses],
            "witness": None if e.witness is None else _witness_state(e.witness),
        }
    return {"portfolio": portfolio.id, "unit": portfolio.unit_id,
            "unit_version": portfolio.unit_version, "learner_id": portfolio.learner_id,
            "evidence": evidence}


def _witness_state(w: WitnessRequest) -> dict:
    """A witness statement as a signature vouches for it. Competence and the assessor's
    verification appear only when there are any, so older statements read as they did."""
    state = {"name": w.witness_name, "job_title": w.job_title,
             "relationship": w.relationship_to_learner, "email": w.witness_email,
             "verification_contact": w.verification_contact, "not_relative": w.not_relative,
             "signed_name": w.signed_name,
             "signed_at": w.used_at.isoformat() if w.used_at else None}
    if w.competence:
        state["competence"] = w.competence
    if w.verified:
        state["verified"] = {"how": w.verified_how, "on": w.verified_on.isoformat(),
                             "note": w.verified_note, "by_id": w.verified_by_id}
    return state


def _claim_state(c: Claim) -> dict:
    """A claim as a signature vouches for it. Range items, a quoted passage and a withdrawal
    appear only when there are any, so the state of a claim without them reads as it always
    has (and a signature made before quotes existed still verifies)."""
    state = {"rationale": c.rationale, "created_by_id": c.created_by_id,
             "decisions": [_decision_state(d) for d in c.decisions]}
    if c.range_items:
        state["range"] = c.range_items
    if c.quote:
        state["quote"] = _quote_state(c)
    if c.withdrawn_at is not None:
        state["withdrawn"] = {"at": c.withdrawn_at.isoformat(), "reason": c.withdrawn_reason,
                              "by_id": c.withdrawn_by_id}
    return state


def _quote_state(c: Claim) -> dict:
    """The passage a claim quotes: its words, where they sit and in which version; a flag
    and the learner's own words once a revision changed or removed the passage."""
    state = {"text": c.quote, "start": c.quote_start, "end": c.quote_end,
             "version": c.quote_version}
    if c.quote_flag:
        state["flag"] = c.quote_flag
        state["was"] = c.quote_was
    return state


def _decision_state(d: Decision) -> dict:
    state = {"id": d.id, "outcome": d.outcome, "feedback": d.feedback,
             "assessor_id": d.assessor_id, "evidence_version": d.evidence_version,
             "decided_at": d.decided_at.isoformat()}
    if d.range_items:
        state["range"] = d.range_items
    return state


def current_digest(portfolio: Portfolio) -> str:
    return digest_of(portfolio_state(portfolio))


def signature_statuses(portfolio: Portfolio, state: dict | None = None) -> list[SignatureStatus]:
    """Every signature on the portfolio, each current or superseded and why."""
    return statuses(portfolio.signatures,
                    state if state is not None else portfolio_state(portfolio))


def samples_of(portfolio: Portfolio) -> list[Sample]:
    """The portfolio's IQA samples, newest first."""
    return list(db.session.scalars(
        select(Sample).where(Sample.portfolio_id == portfolio.id)
        .order_by(Sample.planned_at.desc(), Sample.id.desc())))
