"""The assessor's side: decisions on claims, claims the learner missed, and the assessor's own
records of observations and professional discussions, which the learner confirms or disputes.

Services take the acting user, check permission with access.can, flush, write an audit event
and leave the commit to the caller.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, time

from .. import audit
from ..access import Action, can, ensure_unlocked
from ..audit import AuditAction
from ..errors import DomainError, Locked, NotAllowed
from ..evidence.services import StaleEdit, check_criteria, is_version
from ..evidence.versions import record_version, refresh_claims
from ..extensions import db
from ..models import (
    Claim,
    ClaimOutcome,
    Decision,
    Evidence,
    EvidenceResponse,
    Portfolio,
    RecordResponse,
    User,
    utcnow,
)
from ..notify import link_to, notify, settle
from ..spec import Unit
from ..validators import FUTURE_DATE


def _evidence_link(evidence: Evidence, claim: Claim | None = None) -> str:
    anchor = f"claim-{claim.id}" if claim is not None else None
    return link_to("evidence.detail", evidence_id=evidence.id, _anchor=anchor)


def _require_judge(user: User, portfolio: Portfolio) -> None:
    if not can(user, Action.JUDGE, portfolio):
        raise NotAllowed("Only this learner's assessor can do this.")
    ensure_unlocked(portfolio)


def record_decision(claim: Claim, outcome: str, feedback: str, *, assessor: User,
                    tell_learner: bool = True, range_items: list[str] | None = None,
                    unit: Unit | None = None) -> Decision:
    """Append a decision (accept, or refer with feedback) on the claim's current version.

    Only the portfolio's own assessor may judge. Earlier decisions are kept; the latest one
    counts while the evidence stays at the version it judged. Where the criterion has a
    range, the assessor confirms which of its items the evidence covers (`range_items`; by
    default the learner's); `unit` is the portfolio's unit version, to check them.
    """
    evidence = claim.evidence
    portfolio = evidence.portfolio
    _require_judge(assessor, portfolio)
    if claim.withdrawn:
        raise DomainError(f"The claim for AC {claim.criterion_id} was withdrawn: it takes no "
                          "decision.")
    outcome = ClaimOutcome(outcome)
    feedback = (feedback or "").strip()
    if outcome == ClaimOutcome.REFERRED and not feedback:
        raise DomainError("Say what is missing when you refer a claim.")
    items = sorted(set(claim.range_items if range_items is None else range_items))
    if unit is not None:
        rng = unit.range_of(unit.criterion(claim.criterion_id))
        allowed = set(rng.items) if rng else set()
        if set(items) - allowed:
            raise DomainError(f"AC {claim.criterion_id} has no range item "
                              f"{', '.join(sorted(set(items) - allowed))}.")
    latest = claim.latest_decision
    if latest is not None and (latest.outcome, latest.feedback, latest.assessor_id,
                               latest.evidence_version, latest.range_items) == (
            outcome.value, feedback, assessor.id, evidence.version, items):
        return latest  # the same decision sent twice (a double click): history stays clean
    decision = Decision(outcome=outcome.value, feedback=feedback, assessor_id=assessor.id,
                        evidence_version=evidence.version, range_json=json.dumps(items))
    claim.decisions.append(decision)
    db.session.flush()
    audit.record(f"decision.{outcome.value}", actor=assessor, portfolio=portfolio,
                 summary=f"AC {claim.criterion_id} on “{evidence.title}” "
                         f"(version {evidence.version}): {outcome.value}",
                 claim_id=claim.id, evidence_id=evidence.id, criterion_id=claim.criterion_id,
                 evidence_version=evidence.version, feedback=feedback,
                 before=latest.outcome if latest else None)
    _settle_if_judged(evidence, assessor)
    if tell_learner:
        if outcome == ClaimOutcome.ACCEPTED:
            message = f"{assessor.name} accepted AC {claim.criterion_id} on “{evidence.title}”."
        else:
            message = (f"{assessor.name} referred AC {claim.criterion_id} on “{evidence.title}”: "
                       f"{_short(feedback)}")
        notify(portfolio.learner, message, link=_evidence_link(evidence, claim),
               portfolio=portfolio)
    return decision


def _settle_if_judged(evidence: Evidence, assessor: User) -> None:
    """Nothing left to judge on this item: the assessor's notices about it are done."""
    if not any(c.state == "awaiting" for c in evidence.claims):
        settle(assessor, link_to("evidence.detail", evidence_id=evidence.id))


def accept_awaiting(evidence: Evidence, unit: Unit, *, assessor: User) -> list[Decision]:
    """Accept every claim on the item still awaiting a decision, each its own decision in the
    history (range items as the learner claimed them); the learner gets one notice."""
    decisions = [record_decision(c, ClaimOutcome.ACCEPTED, "", assessor=assessor, unit=unit,
                                 tell_learner=False)
                 for c in evidence.claims if c.state == "awaiting"]
    if decisions:
        portfolio = evidence.portfolio
        criteria = ", ".join(d.claim.criterion_id for d in decisions)
        notify(portfolio.learner, f"{assessor.name} accepted AC {criteria} on "
               f"“{evidence.title}”.", link=_evidence_link(evidence), portfolio=portfolio)
    return decisions


def withdraw_claim(claim: Claim, reason: str, *, assessor: User) -> None:
    """The assessor takes a claim out of the judgement instead of deciding it, saying why.

    The claim stays on the evidence and in the portfolio, marked withdrawn; it counts for
    nothing and the PDF shows it as withdrawn. Sign-off needs every claim judged or withdrawn.
    """
    evidence = claim.evidence
    portfolio = evidence.portfolio
    _require_judge(assessor, portfolio)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Give the reason for withdrawing the claim: the learner sees it.")
    if claim.withdrawn:
        raise DomainError(f"The claim for AC {claim.criterion_id} is already withdrawn.")
    claim.withdrawn_at, claim.withdrawn_reason, claim.withdrawn_by_id = utcnow(), reason, \
        assessor.id
    db.session.flush()
    audit.record(AuditAction.CLAIM_WITHDRAWN, actor=assessor, portfolio=portfolio,
                 summary=f"AC {claim.criterion_id} on “{evidence.title}” withdrawn: {reason}",
                 claim_id=claim.id, evidence_id=evidence.id, criterion_id=claim.criterion_id,
                 reason=reason, state_before=claim.latest_decision.outcome
                 if claim.latest_decision else "awaiting")
    _settle_if_judged(evidence, assessor)
    notify(portfolio.learner, f"{assessor.name} withdrew your claim of AC {claim.criterion_id} "
           f"on “{evidence.title}”: {_short(reason)}", link=_evidence_link(evidence, claim),
           portfolio=portfolio)


def _short(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def add_claim(evidence: Evidence, unit: Unit, criterion_id: str, rationale: str, *,
              assessor: User) -> Claim:
    """The assessor tags evidence to a criterion the learner missed (marked as theirs)."""
    portfolio = evidence.portfolio
    _require_judge(assessor, portfolio)
    if criterion_id not in {c.id for c in unit.criteria}:
        raise DomainError("Choose one of the unit's criteria.")
    if any(c.criterion_id == criterion_id for c in evidence.claims):
        raise DomainError(f"This evidence is already tagged to AC {criterion_id}.")
    rationale = rationale.strip()
    if not rationale:
        raise DomainError("Say where and how the evidence meets the criterion.")
    claim = Claim(criterion_id=criterion_id, rationale=rationale, created_by_id=assessor.id)
    evidence.claims.append(claim)
    db.session.flush()
    refresh_claims(evidence)
    audit.record(AuditAction.CLAIM_ADDED_BY_ASSESSOR, actor=assessor, portfolio=portfolio,
                 summary=f"Assessor added AC {criterion_id} to “{evidence.title}”",
                 claim_id=claim.id, evidence_id=evidence.id, criterion_id=criterion_id,
                 rationale=rationale)
    notify(portfolio.learner,
           f"{assessor.name} tagged “{evidence.title}” to AC {criterion_id}, which you had "
           "not claimed.", link=_evidence_link(evidence, claim), portfolio=portfolio)
    return claim


@dataclass(frozen=True)
class RecordFields:
    method: str
    dated: date
    start_time: time | None
    duration_minutes: int | None
    place: str
    questions_md: str
    account_md: str


def _record_title(unit: Unit, fields: RecordFields) -> str:
    name = unit.methods[fields.method].name
    when = f"{fields.dated.day} {fields.dated:%B %Y}"
    return f"{name}, {when}" + (f", {fields.place}" if fields.place else "")


def _check_record(unit: Unit, fields: RecordFields, observed: dict[str, str],
                  today: date) -> None:
    method = unit.methods.get(fields.method)
    if method is None or method.author != "assessor":
        raise DomainError("Choose one of the assessor's record types.")
    if fields.dated > today:
        raise DomainError(FUTURE_DATE)
    if not observed:
        raise DomainError("Tick at least one criterion the record covers.")
    check_criteria(unit, observed, "Say what you saw or heard for AC {}.")
    if not fields.account_md.strip():
        raise DomainError("The record needs its account of what happened.")


def save_record(portfolio: Portfolio, unit: Unit, fields: RecordFields,
                observed: dict[str, str], *, assessor: User, today: date,
                evidence: Evidence | None = None, expected_version: int | None = None,
                note: str = "", ranges: dict[str, list[str]] | None = None) -> Evidence:
    """Create or amend the assessor's record; the criteria it covers are accepted with it.

    The record is the assessor's judgement that the learner did (or explained) what it says,
    so each ticked criterion gets an accepted decision on this version. An amendment is a new
    version: the learner is asked to confirm it again. Recorded criteria are never dropped:
    to withdraw one, the assessor refers its claim with a reason. `ranges` gives, for a
    criterion with a range, the items (e.g. channels) the assessor saw.
    """
    _require_judge(assessor, portfolio)
    _check_record(unit, fields, observed, today)
    values = {"method": fields.method, "dated": fields.dated, "start_time": fields.start_time,
              "duration_minutes": fields.duration_minutes, "place": fields.place.strip(),
              "questions_md": fields.questions_md, "account_md": fields.account_md,
              "title": _record_title(unit, fields)}
    withdrawn: set[int] = set()  # claims the assessor referred: an amendment keeps them so
    if evidence is None:
        evidence = Evidence(portfolio=portfolio, author_id=assessor.id, context="", **values)
        db.session.add(evidence)
        action, verb = AuditAction.RECORD_ADDED, "recorded"
    else:
        if evidence.author_id != assessor.id:
            raise Locked("Only the assessor who wrote this record can amend it.")
        if not is_version(evidence, expected_version or 0):
            raise StaleEdit("This record was changed after you opened the form. Your text is "
                            "below: copy what you need, reload, and apply it again.")
        dropped = {c.criterion_id for c in evidence.claims} - set(observed)
        if dropped:
            raise Locked(f"AC {', '.join(sorted(dropped))} is already on this record. To "
                         "withdraw it, refer its claim with a reason on the record's page.")
        withdrawn = {c.id for c in evidence.claims if c.latest_decision is not None
                     and c.latest_decision.outcome == ClaimOutcome.REFERRED}
        for key, value in values.items():
            setattr(evidence, key, value)
        evidence.version += 1
        evidence.updated_at = utcnow()
        action, verb = AuditAction.RECORD_AMENDED, "amended"
    existing = {c.criterion_id: c for c in evidence.claims}
    for criterion_id, notes in sorted(observed.items()):
        claim = existing.get(criterion_id)
        if claim is None:
            claim = Claim(criterion_id=criterion_id, rationale=notes.strip(),
                          created_by_id=assessor.id)
            evidence.claims.append(claim)
        else:
            claim.rationale = notes.strip()
        if unit.range_of(unit.criterion(criterion_id)):
            claim.range_items = (ranges or {}).get(criterion_id, claim.range_items)
    db.session.flush()
    record_version(evidence, actor=assessor, note=note.strip())
    for claim in evidence.claims:
        if claim.id in withdrawn:  # still withdrawn on the new version, for the same reason
            record_decision(claim, ClaimOutcome.REFERRED, claim.latest_decision.feedback,
                            assessor=assessor, tell_learner=False)
        else:
            record_decision(claim, ClaimOutcome.ACCEPTED, "", assessor=assessor,
                            tell_learner=False, unit=unit)
    audit.record(action, actor=assessor, portfolio=portfolio,
                 summary=f"{verb.capitalize()} “{evidence.title}” (version {evidence.version})",
                 evidence_id=evidence.id, version=evidence.version,
                 criteria=sorted(observed), note=note.strip())
    notify(portfolio.learner,
           f"{assessor.name} {verb} “{evidence.title}”. Please check it and confirm it is "
           "accurate, or dispute it.", link=_evidence_link(evidence), portfolio=portfolio)
    return evidence


def respond_to_record(evidence: Evidence, unit: Unit, response: str, comment: str, *,
                      learner: User) -> EvidenceResponse:
    """The learner confirms the current version of an assessor's record, or disputes it."""
    portfolio = evidence.portfolio
    if not can(learner, Action.EDIT_EVIDENCE, portfolio):
        raise NotAllowed("Only the learner whose record this is can confirm or dispute it.")
    ensure_unlocked(portfolio)
    method = unit.methods.get(evidence.method)
    if method is None or method.author != "assessor":
        raise DomainError("Only an assessor's record is confirmed or disputed.")
    response = RecordResponse(response)
    comment = (comment or "").strip()
    if response == RecordResponse.DISPUTED and not comment:
        raise DomainError("Say what is wrong with the record when you dispute it.")
    latest = evidence.latest_response
    if latest is not None and (latest.response, latest.comment) == (response.value, comment):
        return latest  # sent twice
    answer = EvidenceResponse(evidence_version=evidence.version, response=response.value,
                              comment=comment, learner_id=learner.id)
    evidence.responses.append(answer)
    db.session.flush()
    audit.record(f"record.{response.value}", actor=learner, portfolio=portfolio,
                 summary=f"{response.value.capitalize()} “{evidence.title}” "
                         f"(version {evidence.version})",
                 evidence_id=evidence.id, version=evidence.version, comment=comment)
    settle(learner, link_to("evidence.detail", evidence_id=evidence.id))  # answered
    if response == RecordResponse.DISPUTED:
        notify(portfolio.assessor,
               f"{learner.name} disputes your record “{evidence.title}”: {_short(comment)}",
               link=_evidence_link(evidence), portfolio=portfolio)
    return answer
