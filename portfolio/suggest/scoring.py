"""From per-sentence similarities to one score per criterion, the same way for every method.

Each method gives, for every sentence and criterion, a raw similarity: BM25 (0 and up) for the
lexical ranker, the cosine of the sentence's vector and the criterion's closest view (-1 to 1)
for the embedding ranker. Both are put on one 0-1 scale by fixed curves (never by the item's own
best score, so a text about nothing scores low everywhere and its confidence says so):

    lexical    bm25 / (bm25 + LEX_HALF)                  (0.5 at LEX_HALF)
    embedding  (cosine - EMB_FLOOR) / (EMB_TOP - EMB_FLOOR), clipped to 0-1
    combined   EMB_WEIGHT * embedding + (1 - EMB_WEIGHT) * lexical

A sentence that is not the evidence's own words can count less: an earlier message quoted in
an email reply (QUOTED_WEIGHT), the assessor's question in a transcript (QUESTION_WEIGHT). A
criterion's score is its best sentence's, helped by its second best (SECOND_WEIGHT: evidence
that says it twice is surer), scaled back to 0-1, or carried by a passage read as one (a
paragraph, a question with its answer: PASSAGE_WEIGHT of the passage's score) when that is
higher; then mixed with the whole text's score (DOC_WEIGHT) and with what the spec says of the
evidence's method (method_prior). Its quotes are its best sentences, never passages: the best,
and up to two more that score nearly as well (QUOTE_RATIO of the best, at least QUOTE_FLOOR).

The confidence word says how far a criterion stands out in its item, not only how high it
scores: an email or a short record scores lower everywhere than a reflective account, and its
right criteria are still the ones well above its others. A criterion's standing is

    standing = score - MARGIN_WEIGHT x the item's sixth-best score
             = (1 - MARGIN_WEIGHT) x score + MARGIN_WEIGHT x (score - sixth best)

(the lowest score when the unit has fewer than six criteria): MARGIN_WEIGHT 0 is the score
alone, 1 the margin alone. "strong" needs a standing of at least STRONG and a score above the
sixth best (so a text that matches every criterion alike is never strong); "some" a standing
of at least SOME; else "weak". Either also needs a score of at least SCORE_FLOOR, so a text
about something else (a recipe, "see attached": its best about 0.2 by the model alone) is
weak everywhere however one criterion stands out; no suggestion of the labelled set called
strong or some scores below it. Within an item the standing follows the score, so the words
never contradict the order. Per method, bench/suggest.py --calibrate picks MARGIN_WEIGHT (0 to
1 in tenths) and the two thresholds on TUNING: for each weight, STRONG is the lowest standing
above which at least 80% of the TUNING suggestions that could be strong were labelled right,
SOME the lowest above which at least 50% of all were; the weight kept is the one that puts the
most labelled criteria at strong or some (the smaller on a tie).

Each method has its own constants (PARAMS), chosen on the TUNING half of bench/suggest_set/
only (bench/suggest.py --tune prints the search, --calibrate the confidence rule); the
README's figures are on the TEST half. Pure Python.
"""

from __future__ import annotations

from dataclasses import dataclass

from .sentences import QUESTION, QUOTED

LEXICAL, EMBEDDING, COMBINED = "lexical", "embedding", "combined"
STRONG, SOME, WEAK = "strong", "some", "weak"
REFERENCE_RANK = 6  # the standing is measured from the item's sixth-best score
SCORE_FLOOR = 0.3  # below it a criterion is weak, however it stands out


@dataclass(frozen=True)
class Params:
    """One method's constants (defaults: neutral starting points for the search)."""

    lex_half: float = 6.0
    emb_floor: float = 0.1
    emb_top: float = 0.7
    emb_weight: float = 0.6
    quoted_weight: float = 1.0
    question_weight: float = 0.7
    second_weight: float = 0.5
    # A passage (sentences.passages: a paragraph, a question with its answer) read as one:
    # PASSAGE_WEIGHT of its score can carry the criterion when it beats the sentences'.
    passage_weight: float = 0.9
    # Views of a criterion, weighted before the best is taken (the criterion's own text: 1).
    amplification_weight: float = 1.0
    guidance_weight: float = 1.0
    looks_for_weight: float = 1.0
    # The whole text read as one (its words for BM25, its sentences' mean vector for the
    # model): a share of the criterion's score, for evidence that shows a criterion across
    # sentences rather than in one.
    doc_weight: float = 0.2
    doc_lex_half: float = 15.0
    # What the spec says of the evidence's method (only with a method): a share USUAL_BOOST of
    # the score is 1 if the criterion names the method among its usual methods (else 0), and
    # a share KIND_BOOST is the share of the method's usual criteria that are of this
    # criterion's kind (knowledge or performance); the rest is what the text says.
    usual_boost: float = 0.0
    kind_boost: float = 0.0
    quote_ratio: float = 0.8
    quote_floor: float = 0.15
    # The confidence words (see the module docstring): thresholds on the standing, score -
    # MARGIN_WEIGHT x the item's sixth-best score; all three calibrated on the TUNING half
    # (bench/suggest.py --calibrate). MARGIN_WEIGHT 0 judges the score alone.
    margin_weight: float = 0.0
    strong: float = 0.6
    some: float = 0.4


# Each method's constants, from bench/suggest.py --tune and --calibrate on TUNING only.
PARAMS = {
    LEXICAL: Params(question_weight=0.5, second_weight=0.0, passage_weight=0.8, doc_weight=0.3,
                    doc_lex_half=25.0, usual_boost=0.06, kind_boost=0.2, margin_weight=0.2,
                    strong=0.523, some=0.399),
    EMBEDDING: Params(emb_floor=0.0, emb_top=0.9, question_weight=0.5, passage_weight=0.0,
                      amplification_weight=1.05, guidance_weight=1.05, looks_for_weight=0.8,
                      doc_weight=0.1, usual_boost=0.03, kind_boost=0.06, margin_weight=1.0,
                      strong=0.168, some=0.043),
    COMBINED: Params(lex_half=4.0, emb_floor=0.0, question_weight=1.0, second_weight=0.15,
                     passage_weight=0.8, amplification_weight=0.95, guidance_weight=0.95,
                     looks_for_weight=0.5, doc_weight=0.3, usual_boost=0.03, kind_boost=0.06,
                     margin_weight=0.9, strong=0.181, some=0.086),
}


@dataclass(frozen=True)
class Scored:
    """One criterion's score (0-1) and its sentences' scores, by sentence index."""

    criterion: int
    score: float
    sentences: tuple[float, ...]


def lexical_scale(raw: float, p: Params) -> float:
    return raw / (raw + p.lex_half) if raw > 0 else 0.0


def embedding_scale(cosine: float, p: Params) -> float:
    value = (cosine - p.emb_floor) / (p.emb_top - p.emb_floor)
    return min(1.0, max(0.0, value))


def view_maxima(cosines, view_criteria: list[int], view_weights: list[float],
                criteria: int) -> list[list[float]]:
    """Per sentence, per criterion: the best weighted cosine over the criterion's views."""
    out = []
    for row in cosines:
        best = [-1.0] * criteria
        for value, c, w in zip(row, view_criteria, view_weights, strict=True):
            v = value * w
            if v > best[c]:
                best[c] = v
        out.append(best)
    return out


def view_weights(kinds: list[str], p: Params) -> list[float]:
    weight = {"text": 1.0, "amplification": p.amplification_weight,
              "guidance": p.guidance_weight, "looks_for": p.looks_for_weight}
    return [weight[k] for k in kinds]


def sentence_scores(method: str, roles: list[str], lexical: list[list[float]] | None,
                    embedding: list[list[float]] | None, p: Params) -> list[list[float]]:
    """Per sentence, per criterion: the method's 0-1 score, weighted by the sentence's role."""
    rows = []
    for i, role in enumerate(roles):
        weight = p.quoted_weight if role == QUOTED else (
            p.question_weight if role == QUESTION else 1.0)
        if method == LEXICAL:
            row = [lexical_scale(x, p) for x in lexical[i]]
        elif method == EMBEDDING:
            row = [embedding_scale(x, p) for x in embedding[i]]
        else:
            row = [p.emb_weight * embedding_scale(e, p) + (1 - p.emb_weight) *
                   lexical_scale(x, p) for e, x in zip(embedding[i], lexical[i], strict=True)]
        rows.append([weight * v for v in row])
    return rows


def doc_scores(method: str, lexical: list[float] | None, embedding: list[float] | None,
               p: Params) -> list[float]:
    """Per criterion: the whole text's 0-1 score."""
    if method == LEXICAL:
        return [x / (x + p.doc_lex_half) if x > 0 else 0.0 for x in lexical]
    if method == EMBEDDING:
        return [embedding_scale(x, p) for x in embedding]
    return [p.emb_weight * embedding_scale(e, p) + (1 - p.emb_weight) *
            (x / (x + p.doc_lex_half) if x > 0 else 0.0)
            for e, x in zip(embedding, lexical, strict=True)]


def method_prior(unit, method_id: str | None, p: Params) -> list[float]:
    """Per criterion: what the spec's usual methods say of evidence of this method (0 for
    every criterion when no method is given)."""
    criteria = unit.criteria
    if not method_id:
        return [0.0] * len(criteria)
    usual = [c for c in criteria if method_id in c.usual_methods]
    share = {kind: (sum(c.kind == kind for c in usual) / len(usual)) if usual else 0.0
             for kind in {c.kind for c in criteria}}
    return [p.usual_boost * (method_id in c.usual_methods) + p.kind_boost * share[c.kind]
            for c in criteria]


def criterion_scores(rows: list[list[float]], criteria: int, p: Params,
                     doc: list[float] | None = None,
                     prior: list[float] | None = None,
                     passages: list[list[float]] | None = None) -> list[Scored]:
    """Each criterion's score from its sentences (best + SECOND_WEIGHT x second best, over
    1 + SECOND_WEIGHT), or PASSAGE_WEIGHT x its best passage's (rows scored as sentences are)
    if that is higher, mixed with the whole text's (DOC_WEIGHT), then with the method's prior
    (USUAL_BOOST + KIND_BOOST of it, see method_prior). Stays within 0-1."""
    out = []
    for c in range(criteria):
        column = tuple(row[c] for row in rows)
        top = sorted(column, reverse=True)[:2] + [0.0, 0.0]
        score = (top[0] + p.second_weight * top[1]) / (1 + p.second_weight)
        if passages:
            score = max(score, p.passage_weight * max(row[c] for row in passages))
        if doc is not None:
            score = (1 - p.doc_weight) * score + p.doc_weight * doc[c]
        if prior is not None:
            score = (1 - p.usual_boost - p.kind_boost) * score + prior[c]
        out.append(Scored(c, min(1.0, max(0.0, score)), column))
    return out


def ordered(scored: list[Scored]) -> list[Scored]:
    """Best first; ties keep the unit's order of criteria."""
    return sorted(scored, key=lambda s: (-s.score, s.criterion))


def reference(scored: list[Scored]) -> float:
    """The score a criterion's standing is measured from: the item's REFERENCE_RANK-th best
    (its lowest when there are fewer criteria; 0 when none)."""
    scores = sorted((s.score for s in scored), reverse=True)
    return scores[min(REFERENCE_RANK, len(scores)) - 1] if scores else 0.0


def standing(score: float, ref: float, p: Params) -> float:
    return score - p.margin_weight * ref


def confidence(score: float, ref: float, p: Params) -> str:
    """The word for a criterion scoring `score` in an item whose reference() is `ref`."""
    value = standing(score, ref, p)
    if score < SCORE_FLOOR:
        return WEAK
    if value >= p.strong and score > ref:
        return STRONG
    return SOME if value >= p.some else WEAK


def quote_indexes(scored: Scored, p: Params, most: int = 3) -> list[int]:
    """The sentences to quote for a criterion, best first: the best, and up to `most` - 1
    more scoring at least QUOTE_RATIO of it; none if even the best is below QUOTE_FLOOR."""
    order = sorted(range(len(scored.sentences)), key=lambda i: (-scored.sentences[i], i))
    if not order or scored.sentences[order[0]] < p.quote_floor:
        return []
    best = scored.sentences[order[0]]
    keep = [order[0]]
    for i in order[1:most]:
        if scored.sentences[i] >= max(p.quote_floor, p.quote_ratio * best):
            keep.append(i)
    return keep
