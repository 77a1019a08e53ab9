"""The learner's claims: which criteria an evidence item meets, where and how (the
rationale), the range items it covers, and the passage of it that shows it (a quote).

Services take the acting user as an argument, flush, and leave the commit to the caller.
Every change writes an audit event in the same transaction.
"""

from __future__ import annotations

from .. import audit
from ..access import ensure_unlocked
from ..audit import AuditAction
from ..errors import DomainError, Locked, refuse
from ..extensions import db
from ..models import Claim, Evidence, QuoteFlag, User
from ..notify import link_to, notify
from ..quoting import Anchor
from ..spec import Unit
from .ai_answer import ensure_ai_answered
from .passages import is_new_quote, resolve_quotes, set_quote
from .versions import new_version, refresh_claims


def check_criteria(unit: Unit, notes: dict[str, str], missing: str) -> None:
    """Every criterion id is the unit's, and each has its note (`missing` names the gap)."""
    unknown = set(notes) - {c.id for c in unit.criteria}
    if unknown:
        raise DomainError(f"Unknown criteria: {', '.join(sorted(unknown))}.")
    for criterion_id, note in notes.items():
        if not note.strip():
            raise DomainError(missing.format(criterion_id))


def may_tag(evidence: Evidence, unit: Unit, user: User) -> bool:
    """The learner tags their own evidence and witnesses' testimonies, not assessors' records."""
    method = unit.methods.get(evidence.method)
    return evidence.author_id == user.id or (method is not None and method.author == "witness")


def fixed_claims(evidence: Evidence, user: User) -> dict[str, str]:
    """Claims `user` cannot remove: judged ones, and those someone else added."""
    return {c.criterion_id: c.rationale for c in evidence.claims
            if c.decisions or c.created_by_id != user.id}


def rewordable(evidence: Evidence, user: User) -> set[str]:
    """Judged claims whose wording the learner may still change: those on open evidence."""
    if evidence.locked_for_learner or evidence.author_id != user.id:
        return set()
    return {c.criterion_id for c in evidence.claims if c.decisions and c.created_by_id == user.id}


def _range_items(unit: Unit, ranges: dict[str, list[str]], criterion_id: str) -> list[str]:
    """The range items claimed for a criterion, checked against its range."""
    rng = unit.range_of(unit.criterion(criterion_id))
    items = sorted(set(ranges.get(criterion_id, [])))
    unknown = set(items) - (set(rng.items) if rng else set())
    if unknown:
        raise DomainError(f"AC {criterion_id} has no range item {', '.join(sorted(unknown))}.")
    return items


def set_claims(evidence: Evidence, unit: Unit, wanted: dict[str, str], *, actor: User,
               note: str = "", ranges: dict[str, list[str]] | None = None,
               quotes: dict[str, str | Anchor] | None = None,
               keep_changed: frozenset[str] = frozenset()) -> dict:
    """Make the evidence's claims match `wanted` (criterion id -> rationale), and `ranges`
    (criterion id -> the range items this evidence covers, where the criterion has a range).

    `quotes` (criterion id -> the quote box's text, or a passages.Anchor such as a ranker's
    sentence) sets the passage each claim quotes, anchored in the current version: an empty
    text takes the quote away, a criterion left out keeps its quote, a quote that is not in
    the evidence is refused (a FieldProblem naming the criterion). `keep_changed` names
    claims whose re-anchored passage the learner accepts: the "passage changed" flag goes.

    Judged claims are never removed. Their wording (and quote) can change only while the
    evidence is open to the learner (a referral), and that is a resubmission: a new version
    of the item. Claims the assessor added stay as they are. Returns what changed.
    """
    ensure_unlocked(evidence.portfolio)
    if not may_tag(evidence, unit, actor):
        raise Locked(f"This is {evidence.author_name}’s record: only they choose its criteria.")
    check_criteria(unit, wanted, "Say where and how this evidence meets AC {}.")
    ranges = ranges or {}
    items = {cid: _range_items(unit, ranges, cid) for cid in wanted}
    fixed = fixed_claims(evidence, actor)
    open_wording = rewordable(evidence, actor)
    existing = {c.criterion_id: c for c in evidence.claims}
    added, changed, removed, reworded = [], [], [], []
    for criterion_id, claim in existing.items():
        if criterion_id in fixed:
            if criterion_id not in wanted:
                raise Locked(f"The claim for AC {criterion_id} has been assessed or was added by "
                             "your assessor, so it cannot be removed.")
            if wanted[criterion_id] != claim.rationale:
                if criterion_id not in open_wording:
                    raise Locked(f"The claim for AC {criterion_id} has been assessed and cannot "
                                 "be reworded.")
                claim.rationale = wanted[criterion_id]
                reworded.append(criterion_id)
            if criterion_id in open_wording and items[criterion_id] != claim.range_items:
                claim.range_items = items[criterion_id]
                if criterion_id not in reworded:
                    reworded.append(criterion_id)
            continue  # a fixed claim's range items are not on the form: they stay
        if criterion_id not in wanted:
            evidence.claims.remove(claim)
            removed.append(criterion_id)
        elif (wanted[criterion_id], items[criterion_id]) != (claim.rationale,
                                                            claim.range_items):
            claim.rationale = wanted[criterion_id]
            claim.range_items = items[criterion_id]
            changed.append(criterion_id)
    for criterion_id, rationale in wanted.items():
        if criterion_id not in existing:
            claim = Claim(criterion_id=criterion_id, rationale=rationale, created_by_id=actor.id)
            claim.range_items = items[criterion_id]
            evidence.claims.append(claim)
            added.append(criterion_id)
    quoted = _requote(evidence, existing, wanted, quotes or {}, keep_changed,
                      fixed=fixed, open_wording=open_wording)
    for criterion_id in quoted:  # a judged claim quoted anew is reworded: a resubmission
        bucket = reworded if criterion_id in fixed else changed
        if criterion_id not in bucket and criterion_id not in added:
            bucket.append(criterion_id)
    if added or changed or reworded:  # removing a claim puts nothing forward
        ensure_ai_answered(evidence, unit)
    result = {"added": sorted(added), "changed": sorted(changed + reworded),
              "removed": sorted(removed), "quoted": sorted(quoted)}
    if any(result.values()):
        db.session.flush()
        audit.record(AuditAction.CLAIMS_CHANGED, actor=actor, portfolio=evidence.portfolio,
                     summary=f"Claims on “{evidence.title}”: "
                             + "; ".join(f"{k} {', '.join(v)}" for k, v in result.items() if v),
                     evidence_id=evidence.id, **result)
    if reworded:
        # The assessor judged the old wording: the item is resubmitted as a new version.
        new_version(evidence, actor=actor, note=note.strip() or
                     "Reworded the claim for AC " + ", ".join(sorted(reworded)) + ".")
    elif any(result.values()):
        refresh_claims(evidence)
    if added and not reworded and actor.id == evidence.portfolio.learner_id:
        portfolio = evidence.portfolio
        notify(portfolio.assessor,
               f"{portfolio.learner.name} claimed AC {', '.join(sorted(added))} with "
               f"“{evidence.title}”.",
               link=link_to("evidence.detail", evidence_id=evidence.id), portfolio=portfolio)
    return result


def _requote(evidence: Evidence, existing: dict[str, Claim], wanted: dict[str, str],
             quotes: dict[str, str | Anchor], keep_changed: frozenset[str], *,
             fixed: dict[str, str], open_wording: set[str]) -> list[str]:
    """Set the quotes that changed (checked first, every problem refused at once) and clear
    the flags the learner accepts; the criteria whose quote changed."""
    claims = {c.criterion_id: c for c in evidence.claims}
    new = {cid: q for cid, q in quotes.items()
           if cid in wanted and is_new_quote(existing.get(cid), q)}
    anchors, problems = resolve_quotes(evidence, new)
    refuse(problems)
    accepted = {cid for cid in keep_changed if cid in claims and cid not in anchors
                and claims[cid].quote_flag == QuoteFlag.CHANGED}
    for cid in sorted(set(anchors) | accepted):
        if cid in fixed and cid not in open_wording:
            raise Locked(f"The claim for AC {cid} has been assessed, so its quote cannot "
                         "change.")
        claim = claims[cid]
        if cid in anchors:
            set_quote(claim, anchors[cid], evidence.version)
        else:  # the learner accepts the passage as it now reads
            set_quote(claim, Anchor(claim.quote_start, claim.quote_end, claim.quote),
                      claim.quote_version)
    return sorted(set(anchors) | accepted)
