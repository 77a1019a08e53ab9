"""The sampling plan's coverage rules (portfolio.sampling is pure: no app, no database)."""

from portfolio.sampling import (
    DEFAULT_TARGETS,
    INTERIM,
    SUMMATIVE,
    Candidate,
    propose,
    target_count,
)

OUTCOMES = {"1": "Understand", "2": "Be able to"}
METHODS = {"observation": "Direct observation", "product": "Product evidence",
           "reflective_account": "Reflective account", "witness": "Witness testimony"}


def cand(pid, assessor_id, *, stage=INTERIM, methods=("product",), outcomes=("2",),
         decisions=3, in_plan=False, conflict=False):
    return Candidate(portfolio_id=pid, learner=f"Learner {pid}", assessor_id=assessor_id,
                     assessor=f"Assessor {assessor_id}", stage=stage,
                     methods=frozenset(methods), outcomes=frozenset(outcomes),
                     decisions=decisions, in_plan=in_plan, conflict=conflict)


def plan(candidates, ratings=None):
    return propose(candidates, ratings or {}, DEFAULT_TARGETS, method_names=METHODS,
                   outcome_names=OUTCOMES)


def picked(result):
    return [p.candidate.portfolio_id for p in result.proposals]


def test_target_count_rounds_up_and_never_exceeds_the_portfolios():
    assert target_count(10, 20) == 2
    assert target_count(11, 20) == 3
    assert target_count(3, 20) == 1  # a target is at least one portfolio
    assert target_count(2, 100) == 2
    assert target_count(0, 50) == 0
    assert target_count(5, 0) == 0


def test_every_assessor_is_sampled_to_the_target_of_their_rating():
    candidates = [cand(i, 1) for i in range(1, 11)] + [cand(i, 2) for i in range(11, 21)]
    result = plan(candidates, {1: "experienced", 2: "new"})
    by_assessor = {t.assessor_id: t for t in result.targets}
    assert by_assessor[1].target == 2 and by_assessor[2].target == 10
    chosen = [p.candidate for p in result.proposals]
    assert sum(c.assessor_id == 1 for c in chosen) == 2
    assert sum(c.assessor_id == 2 for c in chosen) == 10


def test_an_unrated_assessor_is_sampled_as_a_new_one():
    result = plan([cand(1, 7), cand(2, 7)])
    assert result.targets[0].rating == "new" and result.targets[0].target == 2
    assert sorted(picked(result)) == [1, 2]


def test_the_sample_covers_every_method_outcome_and_stage_in_use():
    candidates = [cand(i, 1) for i in range(1, 9)] + [
        cand(20, 1, methods=("observation",), outcomes=("2",)),
        cand(21, 1, methods=("reflective_account",), outcomes=("1",)),
        cand(22, 1, stage=SUMMATIVE, methods=("product",), outcomes=("1", "2")),
    ]
    result = plan(candidates, {1: "experienced"})  # target: 3 of 11
    chosen = [p.candidate for p in result.proposals]
    assert {m for c in chosen for m in c.methods} == {"observation", "product",
                                                      "reflective_account"}
    assert {o for c in chosen for o in c.outcomes} == {"1", "2"}
    assert {c.stage for c in chosen} == {INTERIM, SUMMATIVE}
    assert result.uncoverable == []
    # Each pick says what it covers.
    reasons = {p.candidate.portfolio_id: " ".join(p.reasons) for p in result.proposals}
    assert "method: Direct observation" in reasons[20]
    assert "summative" in reasons[22]


def test_coverage_beyond_the_target_is_still_proposed():
    candidates = [cand(1, 1), cand(2, 1), cand(3, 1), cand(4, 1), cand(5, 1),
                  cand(6, 1, methods=("witness",))]
    result = plan(candidates, {1: "experienced"})  # target: 2 of 6
    assert 6 in picked(result)
    assert len(picked(result)) == 2  # one towards the target also covers; no more than needed


def test_portfolios_already_in_the_plan_count_towards_target_and_coverage():
    candidates = [cand(1, 1, in_plan=True, methods=("observation",)),
                  cand(2, 1, methods=("observation",)), cand(3, 1, methods=("observation",))]
    result = plan(candidates, {1: "experienced"})  # target 1 of 3, already met
    assert result.targets[0].sampled == 1 and result.targets[0].met
    assert picked(result) == []


def test_the_iqa_never_samples_what_they_assessed_nor_an_unjudged_portfolio():
    candidates = [cand(1, 1, conflict=True, methods=("observation",)),
                  cand(2, 1, decisions=0, methods=()), cand(3, 1)]
    result = plan(candidates, {1: "new"})
    assert picked(result) == [3]
    assert any("Direct observation" in gap for gap in result.uncoverable)


def test_what_cannot_be_covered_is_explained():
    result = plan([cand(1, 1, outcomes=("2",))], {1: "new"})
    text = " | ".join(result.uncoverable)
    assert "summative (signed-off) portfolio: no portfolio is signed off yet" in text
    assert "learning outcome 1" in text


def _greedy_by_the_rule(candidates, ratings):
    """The rule as the module states it, the slow way: every round tries every portfolio and
    takes the one with the most gain (newly covered, plus one while its assessor is below
    target; then the assessor furthest from target; then decisions; then the lowest id)."""
    from collections import Counter

    from portfolio.sampling import UNRATED

    def features(c):
        return ({("assessor", str(c.assessor_id)), ("stage", c.stage)}
                | {("method", m) for m in c.methods} | {("outcome", o) for o in c.outcomes})

    wanted = {("stage", INTERIM), ("stage", SUMMATIVE)} | {("outcome", o) for o in OUTCOMES}
    covered = set()
    for c in candidates:
        wanted |= features(c)
        if c.in_plan:
            covered |= features(c)
    portfolios = Counter(c.assessor_id for c in candidates)
    sampled = Counter(c.assessor_id for c in candidates if c.in_plan)
    need = {a: max(0, target_count(n, DEFAULT_TARGETS[ratings.get(a, UNRATED)]) - sampled[a])
            for a, n in portfolios.items()}
    pool = [c for c in candidates if c.sampleable and not c.in_plan]
    chosen = []
    def gain(c, covered):
        return (len((features(c) & wanted) - covered) + (1 if need[c.assessor_id] else 0),
                need[c.assessor_id], c.decisions, -c.portfolio_id)

    while pool:
        best = max(pool, key=lambda c: gain(c, covered))  # noqa: B023  (used at once)
        if gain(best, covered)[0] == 0:
            break
        pool.remove(best)
        need[best.assessor_id] = max(0, need[best.assessor_id] - 1)
        covered |= features(best)
        chosen.append(best.portfolio_id)
    return chosen


def test_the_quick_proposal_makes_the_same_choices_as_the_rule_tried_every_way():
    """The lazy heaps and the bulk finish once everything is covered pick exactly what
    trying every portfolio every round picks, on hundreds of random centres."""
    import random

    for seed in range(300):
        rng = random.Random(seed)
        assessors = list(range(1, rng.randint(1, 4) + 1))
        candidates = [
            cand(pid, rng.choice(assessors), stage=rng.choice((INTERIM, SUMMATIVE)),
                 methods=rng.sample(sorted(METHODS), rng.randint(0, 3)),
                 outcomes=rng.sample(sorted(OUTCOMES), rng.randint(0, 2)),
                 decisions=rng.randint(0, 4), in_plan=rng.random() < 0.1,
                 conflict=rng.random() < 0.05)
            for pid in rng.sample(range(1, 1000), rng.randint(0, 40))]
        ratings = {a: rng.choice(sorted(DEFAULT_TARGETS)) for a in assessors
                   if rng.random() < 0.8}
        assert picked(plan(candidates, ratings)) == _greedy_by_the_rule(candidates, ratings), \
            f"seed {seed}"
