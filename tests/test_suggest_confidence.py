"""The confidence words (portfolio/suggest/scoring.py's docstring): a criterion's standing in
its item, score - MARGIN_WEIGHT x the item's sixth-best score, against each method's thresholds,
and their calibration on TUNING by bench/suggest.py --calibrate (bench/suggest_tune.py)."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import pytest

from portfolio import suggest
from portfolio.spec import load_unit
from portfolio.suggest import embedding, scoring
from portfolio.suggest.scoring import COMBINED, EMBEDDING, LEXICAL, PARAMS, SOME, STRONG, WEAK

ROOT = Path(__file__).resolve().parent.parent
UNIT = load_unit(ROOT / "criteria" / "unit-40.toml")
METHODS = (LEXICAL, EMBEDDING, COMBINED)
BETTER = {WEAK: 0, SOME: 1, STRONG: 2}

EMAIL = """From: Jordan Ellis <help@hearth.example>
To: Samira Okafor <s.okafor@example.com>
Subject: Re: Where is my sofa?

Dear Ms Okafor,

I am sorry that nobody told you the sofa was not coming, and I understand why you are upset.
I have checked our complaints procedure and passed your case to my manager, who can authorise
a refund of the delivery charge. I will email you by 5pm on Wednesday with a confirmed date.

Kind regards,
Jordan Ellis
"""


def item(*scores: float, criteria: int = 17) -> list[scoring.Scored]:
    """One item's criteria, best first: `scores`, then zeros up to `criteria`."""
    values = list(scores) + [0.0] * (criteria - len(scores))
    return scoring.ordered([scoring.Scored(c, v, ()) for c, v in enumerate(values)])


def words(scored: list[scoring.Scored], p: scoring.Params) -> list[str]:
    ref = scoring.reference(scored)
    return [scoring.confidence(s.score, ref, p) for s in scored]


@pytest.mark.parametrize("method", METHODS)
def test_every_method_has_its_calibrated_rule(method):
    p = PARAMS[method]
    assert set(PARAMS) == set(METHODS)
    assert 0 < p.some < p.strong  # an empty text (every score 0) is weak everywhere
    assert 0 <= p.margin_weight <= 1
    # calibrated, not the neutral starting point
    assert (p.margin_weight, p.strong, p.some) != (0.0, scoring.Params().strong,
                                                   scoring.Params().some)


def test_the_reference_is_the_sixth_best_or_the_lowest():
    assert scoring.reference(item(0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3)) == 0.4
    assert scoring.reference(item(0.9, 0.8, 0.7, criteria=3)) == 0.7
    assert scoring.reference([]) == 0.0


@pytest.mark.parametrize("method", METHODS)
def test_a_criterion_standing_out_in_a_low_scoring_item_gets_a_better_word(method):
    p = PARAMS[method]
    assert p.margin_weight > 0  # every method's calibration found the margin worth weighing
    # A score the rule calls weak among criteria scoring nearly as much, and at least "some"
    # when the item's other criteria score nothing.
    score = max(scoring.SCORE_FLOOR, p.some / (1 - p.margin_weight / 2))
    crowded = words(item(score, *[score - 0.01] * 8), p)[0]
    alone = words(item(score), p)[0]
    assert crowded == WEAK and BETTER[alone] > BETTER[crowded]


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("level", [0.0, 0.5, 1.0])
def test_a_flat_item_is_never_strong(method, level):
    got = words(item(*[level] * 17), PARAMS[method])
    assert STRONG not in got and len(set(got)) == 1


@pytest.mark.parametrize("method", METHODS)
def test_a_low_score_is_weak_however_it_stands_out(method):
    p = PARAMS[method]
    assert words(item(scoring.SCORE_FLOOR - 0.01), p)[0] == WEAK
    # Alone in its item, it is no longer weak from the floor or the method's SOME, whichever
    # is higher (BM25's calibration puts SOME above the floor); between the two, still weak.
    assert words(item(max(scoring.SCORE_FLOOR, p.some)), p)[0] != WEAK
    if p.some > scoring.SCORE_FLOOR:
        assert words(item((scoring.SCORE_FLOOR + p.some) / 2), p)[0] == WEAK


@pytest.mark.skipif(embedding.installed() is not None, reason="the model extra is not installed")
@pytest.mark.parametrize("method", [EMBEDDING, COMBINED])
def test_a_text_about_something_else_is_weak_everywhere(method):
    recipe = ("Preheat the oven to 180 degrees. Mix the flour, sugar and butter until smooth. "
              "Bake for twenty minutes and leave to cool on a rack.")
    ranking = suggest.rank(UNIT, recipe, method=method)
    assert {s.confidence for s in ranking.suggestions} == {WEAK}


@pytest.mark.parametrize("method", METHODS)
def test_the_words_never_contradict_the_order(method):
    p = PARAMS[method]
    scored = item(0.95, 0.9, 0.7, 0.62, 0.6, 0.41, 0.4, 0.4, 0.3, 0.2, 0.05)
    got = [BETTER[w] for w in words(scored, p)]
    assert got == sorted(got, reverse=True)
    # "some" needs only the standing; "strong" a score above the sixth best too.
    rule = replace(p, margin_weight=0.5, strong=0.3, some=0.1)
    assert words(item(0.9, 0.5, 0.5, 0.5, 0.5, 0.5, 0.3), rule)[:2] == [STRONG, SOME]


def test_a_shortened_list_keeps_the_words_of_the_whole():
    whole = suggest.rank(UNIT, EMAIL, method="lexical", method_id="product_evidence")
    top = suggest.rank(UNIT, EMAIL, method="lexical", method_id="product_evidence", top=3)
    assert [(s.criterion_id, s.confidence) for s in top.suggestions] == \
        [(s.criterion_id, s.confidence) for s in whole.suggestions[:3]]


# ------------------------------------------------------------------ calibration


class Fixed:
    """A bench item (suggest_tune.Prepared) whose scores are given."""

    def __init__(self, scores: dict[str, float], meets: list[str]):
        ids = [c.id for c in UNIT.criteria]
        self.item = {"meets": meets}
        self.ranked = scoring.ordered([scoring.Scored(ids.index(c), v, ())
                                       for c, v in scores.items()]
                                      + [scoring.Scored(i, 0.0, ()) for i, c in enumerate(ids)
                                         if c not in scores])

    def scored(self, method, p):
        return self.ranked


@pytest.fixture
def tune():
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import suggest_tune
        yield suggest_tune
    finally:
        sys.path.remove(str(ROOT / "bench"))


def test_calibration_weighs_the_margin_when_low_items_stand_out(tune):
    # Long texts score high everywhere, and their best is wrong; short ones score low, and
    # their one stand-out criterion is right: only the margin tells them apart.
    long = {**{f"1.{n}": 0.8 for n in range(2, 9)}, "1.1": 0.82}
    items = [Fixed(long, ["1.2"]) for _ in range(4)]
    items += [Fixed({"2.1": 0.4, "2.2": 0.15}, ["2.1"]) for _ in range(6)]
    lines = []
    p = tune.calibrate(items, UNIT, LEXICAL, scoring.Params(), out=lines.append)
    assert len(lines) == len(tune.MARGIN_GRID) and p.margin_weight > 0
    assert p.some < p.strong
    assert all(words(x.ranked, p)[0] in (STRONG, SOME) for x in items[4:])
    assert all(STRONG not in words(x.ranked, p) for x in items[:4])


def test_calibration_keeps_the_score_alone_when_the_margin_adds_nothing(tune):
    items = [Fixed({"1.1": 0.9, "1.2": 0.2}, ["1.1"]) for _ in range(3)]
    items += [Fixed({"1.3": 0.3, "1.4": 0.1}, ["1.4"]) for _ in range(3)]
    p = tune.calibrate(items, UNIT, LEXICAL, scoring.Params(), out=lambda line: None)
    assert p.margin_weight == 0.0 and p.strong == 0.9
