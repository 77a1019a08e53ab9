"""Passages (portfolio/suggest/sentences.passages): paragraphs, and an asker's question with its
answer, read as one by the rankers, and how a passage can carry a criterion (scoring.py) while
the quotes stay whole sentences of the text.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portfolio import suggest
from portfolio.spec import load_unit
from portfolio.suggest import embedding, ranker, scoring, sentences
from portfolio.suggest.scoring import LEXICAL, PARAMS, Params

ROOT = Path(__file__).resolve().parent.parent
UNIT = load_unit(ROOT / "criteria" / "unit-40.toml")

TRANSCRIPT = """Assessor: When would you pass a complaint to your manager?
Learner: When the refund is over my £150 limit. Also if the customer mentions a solicitor.

Assessor: Anything else? Learner: If I don't know the answer, I ask my team leader.
Assessor: Why?
Learner: Because she can authorise more.

And that is all."""

EMAIL = """Dear Ms Okafor,

I am sorry that nobody told you the sofa was not coming. The factory was closed for a week.

I will email you by 5pm on Wednesday.

Kind regards,
Jordan

> On 8 Feb 2026, Samira Okafor wrote:
> I waited in all day Friday. Nobody called.
"""


def _spans(text):
    segments = sentences.split(text)
    return segments, [(p.kind, p.role, p.clean) for p in sentences.passages(segments)]


def test_a_transcript_gives_each_question_with_its_answer_and_the_long_answers():
    segments, got = _spans(TRANSCRIPT)
    assert [s.paragraph for s in segments] == [0, 1, 1, 2, 2, 3, 4, 5]
    assert got == [
        ("exchange", "text", "When would you pass a complaint to your manager? When the refund "
                             "is over my £150 limit. Also if the customer mentions a solicitor."),
        ("paragraph", "text", "When the refund is over my £150 limit. Also if the customer "
                              "mentions a solicitor."),
        ("exchange", "text", "Anything else? If I don't know the answer, I ask my team leader."),
        ("exchange", "text", "Why? Because she can authorise more."),
    ]


def test_an_email_gives_its_paragraphs_and_the_quoted_reply_stays_quoted():
    _, got = _spans(EMAIL)
    assert got == [
        ("paragraph", "text", "I am sorry that nobody told you the sofa was not coming. The "
                              "factory was closed for a week."),
        ("paragraph", "quoted", "I waited in all day Friday. Nobody called."),
    ]


def test_one_sentence_paragraphs_and_no_text_give_no_passages():
    assert sentences.passages(sentences.split("One.\n\nTwo.\n\n- three\n- four")) == []
    assert sentences.passages([]) == []


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from([
    "Assessor: Why? Learner: Because. It was late.", "Q: And then?", "A: I rang her. Twice.",
    "> quoted. Twice quoted.", "I rang her. She agreed! Was it ok?", "", "- a bullet. Two.",
    "Kind regards,", "Dear Sam,", "Plain words without an end"]), max_size=12))
def test_a_passage_spans_its_sentences_exactly(lines):
    text = "\n".join(lines)
    segments = sentences.split(text)
    for p in sentences.passages(segments):
        assert 0 <= p.first < p.last < len(segments)
        assert (p.start, p.end) == (segments[p.first].start, segments[p.last].end)
        assert p.clean == " ".join(s.clean for s in segments[p.first:p.last + 1])
        inside = segments[p.first:p.last + 1]
        if p.kind == sentences.PARAGRAPH:
            assert len({s.paragraph for s in inside}) == 1
            assert {s.role for s in inside} == {p.role}
        else:
            assert inside[0].role == sentences.QUESTION and inside[-1].role == sentences.TEXT


def test_a_passage_carries_a_criterion_only_when_it_beats_the_sentences():
    p = Params(second_weight=0.0, doc_weight=0.0, passage_weight=0.8)
    rows = [[0.5, 0.2], [0.1, 0.3]]
    plain = scoring.criterion_scores(rows, 2, p)
    carried = scoring.criterion_scores(rows, 2, p, passages=[[0.5, 0.9]])
    assert [s.score for s in plain] == [0.5, 0.3]
    assert [s.score for s in carried] == [0.5, 0.8 * 0.9]  # 0.4 < 0.5 leaves the first alone
    assert carried[1].sentences == (0.2, 0.3)  # what can be quoted: sentences only
    off = scoring.criterion_scores(rows, 2, replace(p, passage_weight=0.0), passages=[[1, 1]])
    assert [s.score for s in off] == [0.5, 0.3]


def test_with_passages_scores_only_rise_and_quotes_stay_whole_sentences():
    p = PARAMS[LEXICAL]
    with_passages = suggest.rank(UNIT, TRANSCRIPT, method=LEXICAL,
                                 params=replace(p, passage_weight=1.0))
    without = suggest.rank(UNIT, TRANSCRIPT, method=LEXICAL,
                           params=replace(p, passage_weight=0.0))
    before = {s.criterion_id: s.score for s in without.suggestions}
    assert all(s.score >= before[s.criterion_id] - 1e-12 for s in with_passages.suggestions)
    assert any(s.score > before[s.criterion_id] + 1e-6 for s in with_passages.suggestions)
    spans = {(s.start, s.end) for s in sentences.split(TRANSCRIPT)}
    for s in with_passages.suggestions:
        for q in s.quotes:
            assert (q.start, q.end) in spans and TRANSCRIPT[q.start:q.end] == q.text


@pytest.mark.skipif(embedding.installed() is not None, reason="the model extra is not installed")
def test_a_passage_is_read_by_the_model_as_its_sentences_mean_vector():
    import numpy as np

    from portfolio.suggest import criteria

    segments = sentences.split(TRANSCRIPT)
    extra = sentences.passages(segments)
    rows = np.array(ranker.cosines(UNIT, segments, extra, None))
    assert rows.shape == (len(segments) + len(extra) + 1, len(criteria.views(UNIT)))
    texts = [v.text for v in criteria.views(UNIT)]
    views = embedding.criterion_vectors(UNIT.version, texts, criteria.digest(texts), None)
    encoded = embedding.encode([s.clean for s in segments])
    for k, p in enumerate(extra):
        mean = encoded[p.first:p.last + 1].mean(axis=0)
        want = views @ (mean / np.linalg.norm(mean))
        assert np.abs(rows[len(segments) + k] - want).max() < 1e-5
    assert np.abs(rows[:len(segments)] - encoded @ views.T).max() < 1e-5
