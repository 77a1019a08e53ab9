"""Coverage: which criteria a portfolio meets, and why each of the others is a gap.

Pure domain core. Plain facts in (the unit, evidence items, claims with their latest decision,
the day to judge on, and the sign-off day if signed), plain results out. Imports nothing from
Flask or the database, so the rules are tested directly and every page, export, command and
sign-off shares one answer.

The rules (VARCS), all from the unit's spec:
- Valid: an accepted claim meets a criterion only if its evidence method is one the criterion
  lists in `meets`; a method in `supports` supports it but never meets it; any other method
  does not count towards it.
- Sufficient: a criterion can ask for `min_evidence` separate accepted items, and for a range
  (e.g. telephone, email, face to face) that the accepted claims' confirmed range items cover
  between them; a learning outcome can require a method at least once (an observation).
- Current: evidence dated before the currency window meets nothing. The window is judged at
  the decision's date for a judged claim, at the sign-off date for a signed-off portfolio
  (so a signed portfolio keeps the verdict it was signed with, whatever the day), and on the
  day itself for a claim still awaiting. An accepted claim that has aged out since its
  decision still counts while the portfolio is in progress, flagged: sign-off judges it again.
- Reliable: an assessor's record the learner disputes meets nothing until settled.
- A claim the assessor withdrew stays visible and counts for nothing.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, replace
from datetime import date, timedelta
from functools import cached_property

from .ai_use import support_only_reason
from .coverage_words import day, hint, method_list, outcome_gap_reason, reasons_for, rule_of
from .spec import MEETS, SUPPORTS, Criterion, Outcome, Unit

AWAITING = "awaiting"
ACCEPTED = "accepted"
REFERRED = "referred"
WITHDRAWN = "withdrawn"

# Criterion statuses, from best to worst. A criterion not met takes the first that applies.
MET = "met"
IN_ASSESSMENT = "awaiting"
REFERRED_BACK = "referred"
DISPUTED = "disputed"
NEEDS_MORE = "needs_more"
NOT_CURRENT = "not_current"
NEEDS_WORKPLACE = "needs_workplace"  # only evidence that supports (or does not count)
NO_EVIDENCE = "no_evidence"

STATUS_LABELS = {
    MET: "Met",
    IN_ASSESSMENT: "Awaiting assessment",
    REFERRED_BACK: "Referred",
    DISPUTED: "Record disputed",
    NEEDS_MORE: "More evidence needed",
    NOT_CURRENT: "Evidence out of date",
    NEEDS_WORKPLACE: "Supporting evidence only",
    NO_EVIDENCE: "No evidence yet",
}

@dataclass(frozen=True)
class EvidenceFact:
    id: int
    title: str
    method: str
    dated: date
    answer: str = ""  # the learner's answer to this version: confirmed, disputed or none
    # Why this item can only support, whatever its method could do (for example a testimony
    # the assessor has not verified yet): empty when nothing holds it back.
    support_only: str = ""
    witness_verified: bool = False  # a witness's statement that the assessor has verified
    ai_drafted: bool = False  # its author declared drafting it with AI tools


@dataclass(frozen=True)
class ClaimFact:
    """One evidence item tagged to one criterion, with its latest decision (if any)."""

    evidence_id: int
    criterion_id: str
    state: str = AWAITING
    feedback: str = ""
    resubmitted: bool = False  # awaiting again after the evidence was revised
    dispute: str = ""  # the learner's comment, if they dispute this assessor's record
    decided_on: date | None = None  # the day of the latest decision (UK)
    range_items: tuple[str, ...] = ()  # confirmed by the assessor if judged, else claimed
    withdrawn: str = ""  # the assessor's reason, if they withdrew the claim


@dataclass(frozen=True)
class ClaimView:
    evidence: EvidenceFact
    criterion_id: str
    state: str
    feedback: str
    role: str  # meets, supports or not_evidence: what its method can do for the criterion
    current: bool  # dated inside the currency window, judged on its reference day
    resubmitted: bool = False
    dispute: str = ""
    decided_on: date | None = None
    range_items: tuple[str, ...] = ()
    withdrawn: str = ""
    aged_out: bool = False  # accepted while current, out of the window by the day judged
    window_from: date | None = None  # the earliest date that was current for this claim

    @property
    def can_meet(self) -> bool:
        return self.role == MEETS

    @property
    def counts(self) -> bool:
        """Would meet the criterion once accepted (or does, if accepted)."""
        return self.can_meet and self.current and not self.dispute and not self.withdrawn

    @property
    def meets(self) -> bool:
        return self.counts and self.state == ACCEPTED


@dataclass(frozen=True)
class CriterionCoverage:
    criterion: Criterion
    status: str
    reasons: tuple[str, ...]
    hint: str
    claims: tuple[ClaimView, ...]
    warnings: tuple[str, ...] = ()  # met, but worth acting on before sign-off
    covered: tuple[str, ...] = ()  # range items the accepted evidence covers (labels)

    @property
    def met(self) -> bool:
        return self.status == MET

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def meeting(self) -> tuple[ClaimView, ...]:
        """The accepted claims this criterion rests on."""
        return tuple(c for c in self.claims if c.meets)


@dataclass(frozen=True)
class OutcomeProgress:
    outcome: Outcome
    met: int
    total: int
    gaps: tuple[str, ...] = ()  # the outcome's own rules still unmet (required methods)

    @property
    def percent(self) -> int:
        return round(100 * self.met / self.total) if self.total else 0


@dataclass(frozen=True)
class Coverage:
    unit: Unit
    criteria: tuple[CriterionCoverage, ...]
    outcomes: tuple[OutcomeProgress, ...]
    evidence: tuple[EvidenceFact, ...]  # every item, claimed or not, oldest first
    window_start: date
    judged_on: date
    signed_on: date | None = None

    @property
    def met(self) -> int:
        return sum(c.met for c in self.criteria)

    @property
    def total(self) -> int:
        return len(self.criteria)

    @property
    def outcome_gaps(self) -> tuple[str, ...]:
        return tuple(g for o in self.outcomes for g in o.gaps)

    @property
    def complete(self) -> bool:
        """Every criterion met and every outcome rule kept: ready for the assessor's sign-off."""
        return self.met == self.total and not self.outcome_gaps

    def claims_in(self, state: str) -> int:
        return sum(v.state == state and not v.withdrawn for v in self._cells.values())

    def claims_where(self, state: str) -> list[ClaimView]:
        return [v for v in self._cells.values() if v.state == state and not v.withdrawn]

    @property
    def resubmitted(self) -> int:
        return sum(v.resubmitted and v.state == AWAITING for v in self._cells.values())

    @property
    def disputed(self) -> int:
        """Assessor's records the learner disputes (counted once per record)."""
        return len({v.evidence.id for v in self._cells.values() if v.dispute})

    @property
    def unanswered_records(self) -> list[EvidenceFact]:
        """Assessor's records whose current version the learner has not confirmed."""
        return [e for e in self.evidence
                if self.unit.methods.get(e.method) is not None
                and self.unit.methods[e.method].author == "assessor" and e.answer != "confirmed"]

    @property
    def warnings(self) -> tuple[str, ...]:
        return tuple(w for c in self.criteria for w in c.warnings)

    @property
    def gaps(self) -> tuple[CriterionCoverage, ...]:
        return tuple(c for c in self.criteria if not c.met)

    @cached_property
    def _cells(self) -> dict[tuple[int, str], ClaimView]:
        # Built once: the grid asks for every (evidence, criterion) cell.
        return {(v.evidence.id, v.criterion_id): v for c in self.criteria for v in c.claims}

    def claim_count(self, evidence_id: int) -> int:
        return sum(e == evidence_id for e, _ in self._cells)

    def cell(self, evidence_id: int, criterion_id: str) -> ClaimView | None:
        return self._cells.get((evidence_id, criterion_id))


def months_before(day: date, months: int) -> date:
    """The same day `months` calendar months earlier (clamped to the month's last day)."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def compute_coverage(unit: Unit, evidence: list[EvidenceFact], claims: list[ClaimFact],
                     today: date, signed_on: date | None = None) -> Coverage:
    """Per-criterion status, reasons and hints, and progress per learning outcome.

    `today` is the day to judge on; `signed_on`, the day of the portfolio's current sign-off,
    fixes the currency of everything at that day."""
    by_id = {e.id: _held_back(unit, e) for e in evidence}
    months = unit.rules.currency_window_months
    window_start = months_before(today, months)
    per_criterion: dict[str, list[ClaimView]] = {c.id: [] for c in unit.criteria}
    for claim in claims:
        ev = by_id.get(claim.evidence_id)
        if ev is None or claim.criterion_id not in per_criterion:
            continue  # a claim on a criterion the unit no longer has cannot count
        criterion = unit.criterion(claim.criterion_id)
        reference = signed_on or (claim.decided_on if claim.state in (ACCEPTED, REFERRED)
                                  and claim.decided_on else today)
        window_from = months_before(reference, months)
        current = ev.dated >= window_from
        per_criterion[claim.criterion_id].append(ClaimView(
            evidence=ev, criterion_id=claim.criterion_id, state=claim.state,
            feedback=claim.feedback, role=_role(criterion, ev), current=current,
            resubmitted=claim.resubmitted, dispute=claim.dispute, decided_on=claim.decided_on,
            range_items=claim.range_items, withdrawn=claim.withdrawn, window_from=window_from,
            aged_out=(signed_on is None and claim.state == ACCEPTED and current
                      and ev.dated < window_start),
        ))
    results = tuple(_judge(unit, c, tuple(per_criterion[c.id]), window_start)
                    for c in unit.criteria)
    progress = tuple(_progress(unit, o, results) for o in unit.outcomes)
    ordered = tuple(sorted(evidence, key=lambda e: (e.dated, e.id)))
    return Coverage(unit=unit, criteria=results, outcomes=progress, evidence=ordered,
                    window_start=window_start, judged_on=today, signed_on=signed_on)


UNVERIFIED = ("the assessor has not yet verified with the witness that they wrote it (this "
              "unit counts a witness's statement once the assessor records how they checked)")


def _held_back(unit: Unit, ev: EvidenceFact) -> EvidenceFact:
    """The item with the reason, if any, that its unit's rules let it only support: a
    witness's statement the assessor has not verified (rules.verify_witnesses), or an item
    declared as drafted with AI of a method the unit names in rules.no_ai_drafting."""
    method = unit.methods.get(ev.method)
    if method is None or ev.support_only:
        return ev
    if unit.rules.verify_witnesses and method.author == "witness" and not ev.witness_verified:
        return replace(ev, support_only=UNVERIFIED)
    if ev.ai_drafted and ev.method in unit.rules.no_ai_drafting:
        return replace(ev, support_only=support_only_reason(method.name))
    return ev


def held_back(unit: Unit, ev: EvidenceFact) -> str:
    """Why the unit's rules let this item only support, whatever its method could do ("" when
    nothing holds it back): what the criteria suggestions say beside each criterion."""
    return _held_back(unit, ev).support_only


def _role(criterion: Criterion, ev: EvidenceFact) -> str:
    """What the item can do for the criterion: its method's role, held to support when
    something about the item itself (its `support_only` reason) keeps it from meeting."""
    role = criterion.role_of(ev.method)
    return SUPPORTS if role == MEETS and ev.support_only else role


def _progress(unit: Unit, outcome: Outcome, results: tuple[CriterionCoverage, ...]):
    mine = [r for r in results if r.criterion.outcome == outcome.number]
    used = {v.evidence.method for r in mine for v in r.claims if v.meets}
    gaps = tuple(outcome_gap_reason(unit, outcome, m) for m in outcome.required_methods
                 if m not in used)
    return OutcomeProgress(outcome=outcome, total=len(mine), met=sum(r.met for r in mine),
                           gaps=gaps)


def _judge(unit: Unit, criterion: Criterion, claims: tuple[ClaimView, ...],
           window_start: date) -> CriterionCoverage:
    active = [c for c in claims if not c.withdrawn]
    meeting = [c for c in active if c.meets]
    rng = unit.range_of(criterion)
    covered = set()
    for c in meeting:
        covered |= set(c.range_items)
    covered_labels = tuple(rng.labels(covered)) if rng else ()
    enough = len(meeting) >= criterion.min_evidence
    needed = (criterion.range_min or len(rng.items)) if rng else 0
    range_ok = rng is None or len(set(rng.items) & covered) >= needed
    warnings = tuple(
        f"AC {criterion.id}: “{c.evidence.title}” (dated {day(c.evidence.dated)}) has "
        f"fallen out of the {unit.rules.currency_window_months}-month currency window since "
        f"it was accepted: sign-off needs evidence dated on or after {day(window_start)}."
        for c in meeting if c.aged_out)

    def result(status: str, reasons: list[str]) -> CriterionCoverage:
        return CriterionCoverage(criterion=criterion, status=status, reasons=tuple(reasons),
                                 hint=hint(unit, criterion), claims=claims, warnings=warnings,
                                 covered=covered_labels)

    if meeting and enough and range_ok:
        return result(MET, [])
    counting = [c for c in active if c.counts]
    awaiting = [c for c in counting if c.state == AWAITING]
    referred = [c for c in counting if c.state == REFERRED]
    disputed = [c for c in active if c.dispute and c.can_meet and c.current]
    stale = [c for c in active if c.can_meet and not c.current]
    reasons = reasons_for(unit, criterion, claims, active, awaiting, referred, disputed, stale,
                          meeting, covered, window_start)
    if awaiting:
        status = IN_ASSESSMENT
    elif referred:
        status = REFERRED_BACK
    elif disputed:
        status = DISPUTED
    elif meeting:
        status = NEEDS_MORE
    elif stale:
        status = NOT_CURRENT
    elif not active:
        status = NO_EVIDENCE
    else:
        status = NEEDS_WORKPLACE
    return result(status, reasons)


__all__ = ["ACCEPTED", "AWAITING", "REFERRED", "WITHDRAWN", "ClaimFact", "ClaimView",
           "Coverage", "CriterionCoverage", "EvidenceFact", "OutcomeProgress",
           "compute_coverage", "method_list", "months_before", "rule_of"]


def unchanged_through(coverage: Coverage) -> date | None:
    """The last day on which this verdict holds with no change to the portfolio: a few days
    (for month-end clamping) before the oldest evidence could leave the currency window.
    None when nothing can age out: a signed-off verdict is fixed, and no evidence, no change.
    Only currency depends on the day judged on."""
    if coverage.signed_on is not None or not coverage.evidence:
        return None
    months = coverage.unit.rules.currency_window_months
    oldest = min(e.dated for e in coverage.evidence)
    return months_before(oldest, -months) - timedelta(days=3)
