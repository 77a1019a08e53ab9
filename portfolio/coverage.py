"""Coverage: which criteria a portfolio meets, and why each of the others is a gap.

Pure domain core. Plain facts in (the unit, evidence items, claims with their latest decision,
today's date), plain results out. Imports nothing from Flask or the database, so the rules
are tested directly and every page, export and sign-off shares one answer.

The unit's rules (VARCS, from the spec):
- a criterion is met by an accepted claim whose evidence method the unit allows for the
  criterion's kind; for performance criteria that means workplace performance evidence
  (simulation is not allowed): other methods can support the claim but never meet it;
- evidence dated before the currency window is not current and meets nothing;
- an assessor's record (observation, discussion) the learner disputes meets nothing until
  the dispute is settled.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from functools import cached_property

from .spec import Criterion, Outcome, Unit

AWAITING = "awaiting"
ACCEPTED = "accepted"
REFERRED = "referred"

# Criterion statuses, from best to worst. A criterion not met takes the first that applies.
MET = "met"
IN_ASSESSMENT = "awaiting"
REFERRED_BACK = "referred"
DISPUTED = "disputed"
NOT_CURRENT = "not_current"
NEEDS_WORKPLACE = "needs_workplace"
NO_EVIDENCE = "no_evidence"

STATUS_LABELS = {
    MET: "Met",
    IN_ASSESSMENT: "Awaiting assessment",
    REFERRED_BACK: "Referred",
    DISPUTED: "Record disputed",
    NOT_CURRENT: "Evidence out of date",
    NEEDS_WORKPLACE: "Needs workplace evidence",
    NO_EVIDENCE: "No evidence yet",
}


@dataclass(frozen=True)
class EvidenceFact:
    id: int
    title: str
    method: str
    dated: date


@dataclass(frozen=True)
class ClaimFact:
    """One evidence item tagged to one criterion, with its latest decision (if any)."""

    evidence_id: int
    criterion_id: str
    state: str = AWAITING
    feedback: str = ""
    resubmitted: bool = False  # awaiting again after the evidence was revised
    dispute: str = ""  # the learner's comment, if they dispute this assessor's record


@dataclass(frozen=True)
class ClaimView:
    evidence: EvidenceFact
    criterion_id: str
    state: str
    feedback: str
    can_meet: bool  # the method is one the unit accepts as meeting this criterion's kind
    current: bool  # dated inside the currency window
    resubmitted: bool = False
    dispute: str = ""

    @property
    def counts(self) -> bool:
        """Would meet the criterion once accepted (or does, if accepted)."""
        return self.can_meet and self.current and not self.dispute


@dataclass(frozen=True)
class CriterionCoverage:
    criterion: Criterion
    status: str
    reasons: tuple[str, ...]
    hint: str
    claims: tuple[ClaimView, ...]

    @property
    def met(self) -> bool:
        return self.status == MET

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]


@dataclass(frozen=True)
class OutcomeProgress:
    outcome: Outcome
    met: int
    total: int

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

    @property
    def met(self) -> int:
        return sum(c.met for c in self.criteria)

    @property
    def total(self) -> int:
        return len(self.criteria)

    @property
    def complete(self) -> bool:
        """Every criterion met: ready for the assessor's sign-off."""
        return self.met == self.total

    def claims_in(self, state: str) -> int:
        return sum(v.state == state for v in self._cells.values())

    @property
    def resubmitted(self) -> int:
        return sum(v.resubmitted and v.state == AWAITING for v in self._cells.values())

    @property
    def disputed(self) -> int:
        """Assessor's records the learner disputes (counted once per record)."""
        return len({v.evidence.id for v in self._cells.values() if v.dispute})

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
                     today: date) -> Coverage:
    """Per-criterion status, reasons and hints, and progress per learning outcome."""
    by_id = {e.id: e for e in evidence}
    window_start = months_before(today, unit.rules.currency_window_months)
    per_criterion: dict[str, list[ClaimView]] = {c.id: [] for c in unit.criteria}
    for claim in claims:
        ev = by_id.get(claim.evidence_id)
        if ev is None or claim.criterion_id not in per_criterion:
            continue  # a claim on a criterion the unit no longer has cannot count
        criterion = unit.criterion(claim.criterion_id)
        per_criterion[claim.criterion_id].append(ClaimView(
            evidence=ev, criterion_id=claim.criterion_id, state=claim.state,
            feedback=claim.feedback,
            can_meet=ev.method in unit.rules.methods_that_meet(criterion.kind),
            current=ev.dated >= window_start,
            resubmitted=claim.resubmitted, dispute=claim.dispute,
        ))
    results = tuple(_judge(unit, c, tuple(per_criterion[c.id]), window_start)
                    for c in unit.criteria)
    progress = tuple(
        OutcomeProgress(outcome=o, total=len(o.criteria),
                        met=sum(r.met for r in results if r.criterion.outcome == o.number))
        for o in unit.outcomes)
    ordered = tuple(sorted(evidence, key=lambda e: (e.dated, e.id)))
    return Coverage(unit=unit, criteria=results, outcomes=progress, evidence=ordered,
                    window_start=window_start)


def _judge(unit: Unit, criterion: Criterion, claims: tuple[ClaimView, ...],
           window_start: date) -> CriterionCoverage:
    hint = _hint(unit, criterion)

    def result(status: str, reasons: list[str]) -> CriterionCoverage:
        return CriterionCoverage(criterion=criterion, status=status, reasons=tuple(reasons),
                                 hint=hint, claims=claims)

    if any(c.counts and c.state == ACCEPTED for c in claims):
        return result(MET, [])
    if not claims:
        return result(NO_EVIDENCE, ["No evidence yet."])

    reasons: list[str] = []
    counting = [c for c in claims if c.counts]
    awaiting = [c for c in counting if c.state == AWAITING]
    referred = [c for c in counting if c.state == REFERRED]
    disputed = [c for c in claims if c.dispute and c.can_meet and c.current]
    stale = [c for c in claims if c.can_meet and not c.current]
    for c in awaiting:
        reasons.append(f"Awaiting assessment: “{c.evidence.title}”.")
    for c in referred:
        feedback = c.feedback or "no feedback given"
        reasons.append(f"Referred (“{c.evidence.title}”): {feedback}")
    for c in disputed:
        reasons.append(f"The learner disputes the record “{c.evidence.title}”: {c.dispute} "
                       "It counts once the assessor amends it and the learner confirms.")
    for c in stale:
        reasons.append(
            f"“{c.evidence.title}” is dated {c.evidence.dated:%d %B %Y}, older than the "
            f"{unit.rules.currency_window_months}-month currency window "
            f"(evidence must be dated on or after {window_start:%d %B %Y}).")
    if not any(c.can_meet for c in claims):
        reasons.append(_supporting_only(unit, criterion, claims))
    if not reasons:  # only claims that stand judged as not meeting it
        reasons.append("No accepted evidence that meets it yet.")

    if awaiting:
        status = IN_ASSESSMENT
    elif referred:
        status = REFERRED_BACK
    elif disputed:
        status = DISPUTED
    elif stale:
        status = NOT_CURRENT
    else:
        status = NEEDS_WORKPLACE
    return result(status, reasons)


def _method_name(unit: Unit, key: str) -> str:
    method = unit.methods.get(key)
    return method.name.lower() if method else key.replace("_", " ")


def _supporting_only(unit: Unit, criterion: Criterion, claims: tuple[ClaimView, ...]) -> str:
    used = sorted({_method_name(unit, c.evidence.method) for c in claims})
    allowed = unit.rules.methods_that_meet(criterion.kind)
    # Name the methods the guidance suggests first; fall back to every allowed method.
    suggested = [m for m in criterion.usual_methods if m in allowed] or sorted(allowed)
    names = [_method_name(unit, m) for m in suggested]
    such_as = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]
    if criterion.kind == "performance":
        need = (f"this performance criterion needs workplace evidence such as {such_as}; "
                "simulation is not allowed")
    else:
        need = f"this criterion needs evidence such as {such_as}"
    return f"Only {' and '.join(used)} so far: it can support the claim, but {need}."


def _hint(unit: Unit, criterion: Criterion) -> str:
    usual = [unit.methods[m].name for m in criterion.usual_methods if m in unit.methods]
    parts = []
    if usual:
        parts.append("Usually evidenced by " + ", ".join(usual).lower().capitalize() + ".")
    if criterion.guidance:
        parts.append(criterion.guidance)
    return " ".join(parts)
