"""The search behind scoring.PARAMS, on the TUNING half only (bench/suggest.py --tune).

Each item's raw similarities are computed once (BM25 per sentence, then per passage, and
criterion; the cosine of each sentence and passage with each criterion view); then the
constants are searched one at a time over a small grid, a few passes (coordinate ascent),
maximising recall@5 + (recall@3 + top right) / 2 of the method each constant matters to.
--calibrate prints, for each method and each MARGIN_WEIGHT, the confidence thresholds (the
lowest standing at which at least 80% ("strong") and 50% ("some") of the TUNING suggestions
standing that high or higher were right) and how many labelled criteria they call strong or
some, and keeps the weight that calls the most (scoring.py's docstring has the rule).
"""

from __future__ import annotations

import statistics
from dataclasses import replace

GRID = {
    "quoted_weight": [0.3, 0.5, 0.7, 0.85, 1.0],
    "question_weight": [0.1, 0.3, 0.5, 0.7, 1.0],
    "second_weight": [0.0, 0.15, 0.3, 0.5, 0.75, 1.0],
    "passage_weight": [0.0, 0.7, 0.8, 0.85, 0.9, 0.95, 1.0],
    "amplification_weight": [0.8, 0.9, 0.95, 1.0, 1.05],
    "guidance_weight": [0.8, 0.9, 0.95, 1.0, 1.05],
    "looks_for_weight": [0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.0, 1.05],
    "lex_half": [2.0, 4.0, 6.0, 9.0, 14.0],
    "emb_floor": [0.0, 0.1, 0.2, 0.3],
    "emb_top": [0.7, 0.8, 0.9],
    "emb_weight": [0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9],
    "doc_weight": [0.0, 0.1, 0.2, 0.3, 0.4, 0.5],
    "doc_lex_half": [5.0, 10.0, 15.0, 25.0, 40.0],
    "usual_boost": [0.0, 0.03, 0.06, 0.1, 0.15, 0.2, 0.3],
    # Not 0.3: a prior that large outweighs the text. BM25's search took it on TUNING for one
    # label of recall@3, and it pushed the demo discussion's three claims out of its first
    # three suggestions (tests/test_suggest_demo.py).
    "kind_boost": [0.0, 0.03, 0.06, 0.1, 0.15, 0.2],
}
SHARED = {"quoted_weight", "question_weight", "second_weight", "passage_weight", "doc_weight",
          "usual_boost", "kind_boost"}
MATTERS = {"lexical": SHARED | {"lex_half", "doc_lex_half"},
           "embedding": SHARED | {"amplification_weight", "guidance_weight", "looks_for_weight",
                                  "emb_floor", "emb_top"}}
MATTERS["combined"] = set(GRID)


class Prepared:
    """One item's raw similarities, computed once."""

    def __init__(self, unit, item, with_model: bool):
        from portfolio.suggest import criteria, ranker, sentences

        self.item = item
        segments = sentences.split(item["text"])
        extra = sentences.passages(segments)
        self.sentences = len(segments)
        self.roles = [s.role for s in segments] + [x.role for x in extra]
        self.lexical, self.lexical_doc = ranker.raw_lexical(unit, segments, extra)
        self.sims = None
        if with_model:
            views = criteria.views(unit)
            self.sims = ranker.cosines(unit, segments, extra, None)
            self.view_criteria = [v.criterion for v in views]
            self.view_kinds = [v.kind for v in views]
        self.criteria = len(unit.criteria)
        self.unit = unit

    def scored(self, method: str, p):
        from portfolio.suggest import scoring

        emb = emb_doc = None
        if method != "lexical":
            maxima = scoring.view_maxima(self.sims, self.view_criteria,
                                         scoring.view_weights(self.view_kinds, p), self.criteria)
            emb, emb_doc = maxima[:-1], maxima[-1]
        rows = scoring.sentence_scores(method, self.roles, self.lexical, emb, p)
        doc = scoring.doc_scores(method, self.lexical_doc, emb_doc, p)
        prior = scoring.method_prior(self.unit, self.item["method"], p)
        n = self.sentences
        return scoring.ordered(scoring.criterion_scores(rows[:n], self.criteria, p, doc, prior,
                                                        passages=rows[n:]))


def evaluate(prepared, unit, method: str, p) -> dict:
    ids = [c.id for c in unit.criteria]
    r3, r5, p1 = [], [], []
    for item in prepared:
        order = [ids[s.criterion] for s in item.scored(method, p)]
        labels = set(item.item["meets"])
        r3.append(len(set(order[:3]) & labels) / len(labels))
        r5.append(len(set(order[:5]) & labels) / len(labels))
        p1.append(order[0] in labels)
    return {"r3": statistics.mean(r3), "r5": statistics.mean(r5), "p1": statistics.mean(p1)}


def objective(m: dict) -> float:
    return m["r5"] + (m["r3"] + m["p1"]) / 2


def tune(prepared, unit, method: str, starts):
    """Coordinate ascent from each starting point; the best found."""
    found = []
    for start in starts:
        best = start
        best_value = objective(evaluate(prepared, unit, method, best))
        for _ in range(4):
            changed = False
            for name in sorted(MATTERS[method]):
                for value in GRID[name]:
                    trial = replace(best, **{name: value})
                    if trial.emb_top <= trial.emb_floor:
                        continue
                    v = objective(evaluate(prepared, unit, method, trial))
                    if v > best_value + 1e-9:
                        best, best_value, changed = trial, v, True
            if not changed:
                break
        found.append((best_value, best))
    best = max(found, key=lambda f: f[0])[1]
    return best, evaluate(prepared, unit, method, best)


MARGIN_GRID = [n / 10 for n in range(11)]


def _lowest(pairs: list[tuple[float, bool]], share: float) -> float:
    """The lowest value above which at least `share` of the pairs were right (1.0: none)."""
    right, found = 0, 1.0
    for n, (value, ok) in enumerate(sorted(pairs, reverse=True), 1):
        right += ok
        if right / n >= share:
            found = value
    return round(found, 3)


def calibrate(prepared, unit, method: str, p, out=print):
    """The confidence rule (scoring.py's docstring) on TUNING: for each MARGIN_WEIGHT of
    MARGIN_GRID, STRONG and SOME at the 80% and 50% targets, and how many labelled criteria
    that puts at strong or some; the weight that puts the most (the smaller on a tie), with
    its thresholds, as a copy of `p`."""
    from portfolio.suggest import scoring

    ids = [c.id for c in unit.criteria]
    items = []
    for item in prepared:
        scored = item.scored(method, p)
        items.append((scored, scoring.reference(scored), item.item["meets"]))
    best = None
    for weight in MARGIN_GRID:
        trial = replace(p, margin_weight=weight)
        rows = [(scoring.standing(s.score, ref, trial), ids[s.criterion] in meets,
                 s.score > ref) for scored, ref, meets in items for s in scored]
        trial = replace(trial, strong=_lowest([(v, ok) for v, ok, above in rows if above], 0.8),
                        some=_lowest([(v, ok) for v, ok, _ in rows], 0.5))
        words = {scoring.STRONG: [0, 0], scoring.SOME: [0, 0], scoring.WEAK: [0, 0]}
        for scored, ref, meets in items:
            for s in scored:
                word = words[scoring.confidence(s.score, ref, trial)]
                word[0] += ids[s.criterion] in meets
                word[1] += 1
        found = words[scoring.STRONG][0] + words[scoring.SOME][0]
        out(f"{method:<10} margin_weight {weight:.1f}: strong {trial.strong:.3f}, some "
            f"{trial.some:.3f}; right/given strong, some, weak: "
            + ", ".join(f"{a}/{b}" for a, b in words.values())
            + f"; labelled at strong or some {found}")
        if best is None or found > best[0]:
            best = (found, trial)
    return best[1]


def main(unit, items, calibrate_only: bool = False) -> None:
    from portfolio.suggest import embedding, scoring

    with_model = embedding.installed() is None
    prepared = [Prepared(unit, item, with_model) for item in items]
    methods = ["lexical", "embedding", "combined"] if with_model else ["lexical"]
    chosen = dict(scoring.PARAMS)
    print(f"TUNING, {len(items)} items; objective recall@5 + (recall@3 + top right) / 2")
    if not calibrate_only:
        for method in methods:
            print(f"{method:<10} with PARAMS: {evaluate(prepared, unit, method, chosen[method])}")
        for method in methods:
            starts = [scoring.Params(), chosen[method]] + [chosen[m] for m in methods
                                                            if m != method]
            chosen[method], got = tune(prepared, unit, method, starts)
            print(f"{method:<10} tuned: {got}")
    print("\nThe confidence rule, per method and MARGIN_WEIGHT (TUNING):")
    for method in methods:
        chosen[method] = calibrate(prepared, unit, method, chosen[method])
    print("\nPARAMS = {")
    for method in methods:
        p = chosen[method]
        # Only the constants the method reads (a start point's others are carried along).
        read = MATTERS[method] | {"margin_weight", "strong", "some"}
        fields = ", ".join(f"{k}={getattr(p, k)!r}" for k in p.__dataclass_fields__
                           if k in read and getattr(p, k) != getattr(scoring.Params(), k))
        print(f"    {method.upper()}: Params({fields}),")
    print("}")
