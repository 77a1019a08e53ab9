"""The demo centre's evidence, suggested as a learner would see it: the criteria the demo claims
for each item come among the first suggestions, each with sentences quoted from that item's
own text, by BM25 and (with the model extra) by the combined ranker. The floors are below what
the rankers give today (README, "Criteria suggestions": 29 and 28 of the 33 claims within
the first five, or the first as many as the item claims), so a change that loses the demo's
answers fails here."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from suggest_support import HAS_MODEL

from portfolio import suggest
from portfolio.evidence.passages import readable_text
from portfolio.models import Evidence
from portfolio.units import unit_for

METHODS = ["lexical"] + (["combined"] if HAS_MODEL else [])


@pytest.fixture
def demo_items(app, db):
    assert app.test_cli_runner().invoke(args=["demo", "--password", "demo-pass-1"]).exit_code == 0
    items = []
    for evidence in db.session.scalars(select(Evidence).order_by(Evidence.id)):
        claimed = {c.criterion_id for c in evidence.claims if not c.withdrawn}
        text = readable_text(evidence)
        if claimed and text.strip():
            items.append((evidence, text, claimed))
    return items


@pytest.mark.parametrize("method", METHODS)
def test_the_demo_claims_come_first_with_quotes_from_the_item(demo_items, method):
    assert len(demo_items) >= 9  # two learners' accounts, emails, records, observation...
    found = claims = 0
    for evidence, text, claimed in demo_items:
        ranking = suggest.rank(unit_for(evidence.portfolio), text, method=method,
                               method_id=evidence.method)
        assert ranking.method == method
        first = ranking.suggestions[:max(5, len(claimed))]
        hits = [s for s in first if s.criterion_id in claimed]
        # Every item has one of its claims among its first three.
        assert claimed & {s.criterion_id for s in ranking.suggestions[:3]}, evidence.title
        for s in hits:
            assert s.quotes, (evidence.title, s.criterion_id)
            assert all(text[q.start:q.end] == q.text for q in s.quotes)
        found, claims = found + len(hits), claims + len(claimed)
    assert claims == 33
    assert found >= 26, (method, found)
