"""What the embedding ranker compares evidence with (portfolio/suggest/criteria.views): each
criterion's text, its amplification bullets and their examples, what an assessor looks for,
its guidance and the guidance's clauses, all from the unit's spec; and BM25's document.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from portfolio.spec import load_unit
from portfolio.suggest import criteria, lexical, scoring

ROOT = Path(__file__).resolve().parent.parent
UNIT = load_unit(ROOT / "criteria" / "unit-40.toml")


def _views(criterion_id: str, kind: str) -> list[str]:
    index = [c.id for c in UNIT.criteria].index(criterion_id)
    return [v.text for v in criteria.views(UNIT) if v.criterion == index and v.kind == kind]


def test_guidance_that_names_two_things_is_read_whole_and_clause_by_clause():
    assert _views("2.7", "guidance") == [
        UNIT.criteria[[c.id for c in UNIT.criteria].index("2.7")].guidance,
        "An observation or email of the agreed solution",
        "in a professional discussion, explain why you chose the options you offered",
    ]
    assert _views("2.2", "guidance")[1:] == [
        "Workplace evidence of you owning a complaint",
        "with a professional discussion in which you explain how you took ownership",
    ]


def test_a_clause_too_short_to_say_anything_is_not_a_view():
    # "..., with a professional discussion." and "Weigh up, with examples, ...": one clause
    # of five words or more is left, so the guidance is read whole only.
    assert _views("2.5", "guidance") == [UNIT.criteria[12].guidance]
    assert len(_views("1.8", "guidance")) == 1
    assert criteria._clauses("Say what you did; and why") == ["Say what you did; and why"]


def test_every_criterion_has_its_text_first_and_the_views_come_in_criterion_order():
    views = criteria.views(UNIT)
    assert [v.criterion for v in views] == sorted(v.criterion for v in views)
    firsts = {}
    for v in views:
        firsts.setdefault(v.criterion, v)
    assert [(v.kind, v.text) for v in firsts.values()] == [("text", c.text)
                                                            for c in UNIT.criteria]
    negotiating = _views("1.3", "amplification")
    assert "Negotiating techniques: use of empathy" in negotiating  # a semicolon's example
    assert not any(v.startswith("Monitoring techniques: mystery") for v in _views("1.1",
                                                                                "amplification"))


def test_the_digest_changes_with_any_views_text():
    texts = [v.text for v in criteria.views(UNIT)]
    assert criteria.digest(texts) == criteria.digest(list(texts))
    assert criteria.digest(texts) != criteria.digest(texts[:-1] + [texts[-1] + "."])


def test_what_an_assessor_looks_for_is_a_view_per_line_and_part_of_the_document():
    c = UNIT.criterion("2.2")
    assert _views("2.2", "looks_for") == list(c.looks_for) and len(c.looks_for) >= 3
    assert _views("1.1", "looks_for") == []  # learning outcome 1 has amplification instead
    words = criteria.document(c)
    without = criteria.document(replace(c, looks_for=()))
    assert len(words) > len(without)
    chasing = lexical.terms("chasing")[0]
    assert chasing in lexical.terms(c.looks_for[2]) and chasing in words
    assert chasing not in without


def test_what_an_assessor_looks_for_has_its_own_weight():
    p = replace(scoring.PARAMS[scoring.COMBINED], looks_for_weight=0.5)
    kinds = ["text", "amplification", "looks_for", "guidance"]
    assert scoring.view_weights(kinds, p) == [1.0, p.amplification_weight, 0.5,
                                              p.guidance_weight]
    # Weighted before the best is taken: a looks_for view's cosine counts at its weight.
    assert scoring.view_maxima([[0.2, 0.9]], [0, 0], scoring.view_weights(
        ["text", "looks_for"], p), 1) == [[0.45]]
