"""The IQA's risk-based sampling plan. PURE: plain facts in, targets and a proposed sample out.

Awarding bodies ask for a sampling strategy that covers every assessor (more often for a new
or developing one), every assessment method in use, every learning outcome, and both interim
(in progress) and summative (signed off) portfolios. `propose()` picks portfolios greedily: each
pick is the one that covers most of what is still uncovered, until every assessor has reached
their target and everything coverable is covered. Each pick says why it was chosen.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

INTERIM, SUMMATIVE = "interim", "summative"

# Percentage of an assessor's portfolios to sample, by risk rating (a setting overrides these).
DEFAULT_TARGETS = {"new": 100, "under_development": 50, "experienced": 20}
UNRATED = "new"  # an assessor nobody has rated yet is sampled as a new one


@dataclass(frozen=True)
class Candidate:
    """One portfolio the IQA covers, as the plan sees it."""

    portfolio_id: int
    learner: str
    assessor_id: int
    assessor: str
    stage: str  # INTERIM or SUMMATIVE
    methods: frozenset[str] = frozenset()  # methods of evidence the assessor has judged
    outcomes: frozenset[str] = frozenset()  # learning outcomes with judged claims
    decisions: int = 0  # current assessment decisions: what a sample looks at
    in_plan: bool = False  # already planned or sampled
    conflict: bool = False  # the IQA assessed it, so may not sample it

    @property
    def sampleable(self) -> bool:
        return self.decisions > 0 and not self.conflict


@dataclass(frozen=True)
class Proposal:
    candidate: Candidate
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class AssessorTarget:
    assessor_id: int
    assessor: str
    rating: str
    percent: int
    portfolios: int
    sampled: int

    @property
    def target(self) -> int:
        return target_count(self.portfolios, self.percent)

    @property
    def met(self) -> bool:
        return self.sampled >= self.target


@dataclass
class Plan:
    targets: list[AssessorTarget]
    proposals: list[Proposal]
    # What no portfolio can cover yet, in words (for example no summative portfolio exists).
    uncoverable: list[str] = field(default_factory=list)


def target_count(portfolios: int, percent: int) -> int:
    """How many of `portfolios` a `percent` target asks for: rounded up, at least one."""
    if portfolios <= 0 or percent <= 0:
        return 0
    return min(portfolios, max(1, math.ceil(portfolios * percent / 100)))


def _features(c: Candidate) -> set[tuple[str, str]]:
    return ({("assessor", str(c.assessor_id)), ("stage", c.stage)}
            | {("method", m) for m in c.methods} | {("outcome", o) for o in c.outcomes})


def _describe(feature: tuple[str, str], names: Mapping[tuple[str, str], str]) -> str:
    return names.get(feature, f"{feature[0]} {feature[1]}")


def propose(candidates: Iterable[Candidate], ratings: Mapping[int, str],
            percents: Mapping[str, int], *, method_names: Mapping[str, str] | None = None,
            outcome_names: Mapping[str, str] | None = None) -> Plan:
    """Targets per assessor and the portfolios to add to the plan, each with its reasons.

    `ratings` maps assessor id to risk rating (missing: UNRATED); `percents` maps a rating to
    its sampling percentage. Portfolios already in the plan count towards targets and coverage.
    """
    candidates = list(candidates)
    names: dict[tuple[str, str], str] = {
        ("stage", INTERIM): "an interim (in progress) portfolio",
        ("stage", SUMMATIVE): "a summative (signed-off) portfolio"}
    for c in candidates:
        names[("assessor", str(c.assessor_id))] = f"assessor {c.assessor}"
    for key, name in (method_names or {}).items():
        names[("method", key)] = f"method: {name}"
    for key, name in (outcome_names or {}).items():
        names[("outcome", key)] = f"learning outcome {key} ({name})" if name else f"LO {key}"

    portfolios = Counter(c.assessor_id for c in candidates)
    sampled = Counter(c.assessor_id for c in candidates if c.in_plan)
    assessors = {c.assessor_id: c.assessor for c in candidates}
    targets: dict[int, AssessorTarget] = {}
    for a, name in assessors.items():
        rating = ratings.get(a, UNRATED)
        targets[a] = AssessorTarget(a, name, rating, percents.get(rating, 100), portfolios[a],
                                    sampled[a])

    features = {c.portfolio_id: _features(c) for c in candidates}
    covered: set[tuple[str, str]] = set()
    # Only what some portfolio shows can be asked for: a method nobody used is not a gap.
    wanted: set[tuple[str, str]] = set()
    for c in candidates:
        wanted |= features[c.portfolio_id]
        if c.in_plan:
            covered |= features[c.portfolio_id]
    wanted.add(("stage", INTERIM))
    wanted.add(("stage", SUMMATIVE))
    wanted |= {("outcome", key) for key in (outcome_names or {})}

    still_needed = {a: max(0, t.target - t.sampled) for a, t in targets.items()}
    pool = [c for c in candidates if c.sampleable and not c.in_plan]
    proposals: list[Proposal] = []

    def gain(c: Candidate, covered: set) -> tuple[int, int, int, int]:
        """Most newly covered first (an assessor below target counts), then the assessor
        furthest from target, then the portfolio with most decisions to look at."""
        new = len((features[c.portfolio_id] & wanted) - covered)
        return (new + (1 if still_needed[c.assessor_id] else 0),
                still_needed[c.assessor_id], c.decisions, -c.portfolio_id)

    while pool:
        best = max(pool, key=lambda c: gain(c, covered))
        new = sorted((features[best.portfolio_id] & wanted) - covered)
        if not new and not still_needed[best.assessor_id]:
            break
        reasons = [f"covers {_describe(f, names)}" for f in new]
        if still_needed[best.assessor_id]:
            t = targets[best.assessor_id]
            reasons.append(f"towards the {t.percent}% target for {t.assessor}")
            still_needed[best.assessor_id] -= 1
        covered |= features[best.portfolio_id]
        proposals.append(Proposal(best, tuple(reasons)))
        pool.remove(best)

    uncoverable = []
    for feature in sorted(wanted - covered):
        kind = feature[0]
        if kind == "stage" and feature[1] == SUMMATIVE:
            why = "no portfolio is signed off yet"
        elif kind == "stage":
            why = "every portfolio is signed off"
        else:
            why = "no portfolio with assessed evidence that you may sample shows it"
        uncoverable.append(f"{_describe(feature, names)}: {why}")
    return Plan(targets=sorted(targets.values(), key=lambda t: t.assessor), proposals=proposals,
                uncoverable=uncoverable)
