"""The IQA's risk-based sampling plan. PURE: plain facts in, targets and a proposed sample out.

Awarding bodies ask for a sampling strategy that covers every assessor (more often for a new
or developing one), every assessment method in use, every learning outcome, and both interim
(in progress) and summative (signed off) portfolios. `propose()` picks portfolios greedily: each
pick is the one that covers most of what is still uncovered, until every assessor has reached
their target and everything coverable is covered. Each pick says why it was chosen.
"""

from __future__ import annotations

import heapq
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


def _negated(gain: tuple[int, int, int]) -> tuple[int, int, int]:
    """A gain as heapq (a min-heap) orders it: the largest first."""
    return (-gain[0], -gain[1], -gain[2])


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


def _towards_targets(heaps: dict[int, list], pool: list[Candidate],
                     still_needed: dict[int, int],
                     targets: dict[int, AssessorTarget]) -> list[Proposal]:
    """The rest of the greedy rounds once nothing is left to cover, in the order they would
    take them, without them: each round takes, from the assessors still below target, the one
    furthest from it, then the most decisions, then the lowest id; within an assessor that is
    their portfolios by decisions, then id."""
    order = {a: sorted((i for _bound, i in heap),
                       key=lambda i: (-pool[i].decisions, pool[i].portfolio_id))
             for a, heap in heaps.items() if still_needed[a] and heap}
    front = [(-still_needed[a], -pool[o[0]].decisions, pool[o[0]].portfolio_id, a)
             for a, o in order.items()]
    heapq.heapify(front)
    taken = dict.fromkeys(order, 0)
    reasons = {a: (f"towards the {targets[a].percent}% target for {targets[a].assessor}",)
               for a in order}
    proposals = []
    while front:
        a = heapq.heappop(front)[3]
        proposals.append(Proposal(pool[order[a][taken[a]]], reasons[a]))
        taken[a] += 1
        still_needed[a] -= 1
        if still_needed[a] and taken[a] < len(order[a]):
            nxt = pool[order[a][taken[a]]]
            heapq.heappush(front, (-still_needed[a], -nxt.decisions, nxt.portfolio_id, a))
    return proposals


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

    # Greedy: each round takes the portfolio with the most gain: most newly covered (an
    # assessor below target counts as one more), then the assessor furthest from target,
    # then the most decisions to look at, then the lowest id (so no two gains tie). Within
    # one assessor's portfolios the target part is the same, so each assessor keeps a heap
    # ordered by (newly covered, decisions, id); what a portfolio newly covers only falls as
    # more is covered, so a stored figure is an upper bound, worked out again only when it
    # reaches the top. Each round then compares one portfolio per assessor: the same choices
    # as trying every portfolio every round, for a fraction of the work.
    # What is wanted, not yet covered and shown by a portfolio that may be picked: it only
    # shrinks, and once it is empty (after a few picks) a portfolio's own gain is its
    # decisions and id alone.
    remaining = (wanted - covered) & set().union(*(features[c.portfolio_id] for c in pool))

    def own(i: int) -> tuple[int, int, int]:
        c = pool[i]
        fresh = len(remaining.intersection(features[c.portfolio_id])) if remaining else 0
        return (fresh, c.decisions, -c.portfolio_id)

    heaps: dict[int, list] = {}
    for i, c in enumerate(pool):
        heaps.setdefault(c.assessor_id, []).append((_negated(own(i)), i))
    for heap in heaps.values():
        heapq.heapify(heap)

    def top(heap: list) -> tuple[tuple[int, int, int], int] | None:
        while heap:
            bound, i = heap[0]
            now = own(i)
            if _negated(now) == bound:
                return now, i
            heapq.heapreplace(heap, (_negated(now), i))
        return None

    while remaining:
        best = None
        for a, heap in heaps.items():
            found = top(heap)
            if found is None:
                continue
            (new_count, decisions, neg_id), i = found
            gain = (new_count + (1 if still_needed[a] else 0), still_needed[a], decisions,
                    neg_id)
            if best is None or gain > best[0]:
                best = (gain, a)
        if best is None:
            break
        chosen = pool[heapq.heappop(heaps[best[1]])[1]]
        new = sorted(remaining & features[chosen.portfolio_id])
        if not new and not still_needed[chosen.assessor_id]:
            break
        reasons = [f"covers {_describe(f, names)}" for f in new]
        if still_needed[chosen.assessor_id]:
            t = targets[chosen.assessor_id]
            reasons.append(f"towards the {t.percent}% target for {t.assessor}")
            still_needed[chosen.assessor_id] -= 1
        covered |= features[chosen.portfolio_id]
        remaining -= features[chosen.portfolio_id]
        proposals.append(Proposal(chosen, tuple(reasons)))
    else:
        # Everything coverable is covered: the rounds left only bring assessors to target.
        proposals += _towards_targets(heaps, pool, still_needed, targets)

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
