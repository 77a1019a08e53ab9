"""rank(): one evidence text against one unit's criteria, with the method actually used and why.

Which method: "lexical" (BM25, always there), "embedding" (the model alone), "combined" (both,
mixed as scoring.py says) or "auto": combined when the model extra is installed and loads,
lexical otherwise, saying so in `Ranking.reason`. Asking for "embedding" or "combined" without
the model raises ModelUnavailable: a person who asked for the model is told, not given BM25.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

from ..spec import MEETS, SUPPORTS, Unit
from . import criteria, embedding, lexical, scoring
from .scoring import COMBINED, EMBEDDING, LEXICAL, PARAMS, Params
from .sentences import Passage, Segment, passages, split

AUTO = "auto"
METHODS = (AUTO, LEXICAL, EMBEDDING, COMBINED)
MAX_CHARS = 50_000  # about 8,000 words: past this, only the start of the text is read
# And at most this many sentences, about as many as 50,000 characters of ordinary prose make
# (an hour's transcript): 50,000 characters of "Ab. Cd." would otherwise be 7,000 sentences
# for the model, 9 s of a worker's time (bench/suggest_long.py).
MAX_SENTENCES = 400
FORMAT = 1  # of Ranking.as_dict(): keys are only ever added

_settings = {"method": AUTO, "cache_dir": None}
_indexes: dict[str, lexical.Index] = {}
_index_lock = threading.Lock()


def configure(*, method: str | None = None, cache_dir: str | Path | None = None) -> None:
    """The process's defaults: the method used when rank() is given none (SUGGEST_METHOD) and
    the folder of cached criterion vectors (SUGGEST_CACHE_DIR; None: memory only)."""
    if method is not None:
        if method not in METHODS:
            raise ValueError(f"unknown suggestion method {method!r} (one of {', '.join(METHODS)})")
        _settings["method"] = method
    if cache_dir is not None:
        _settings["cache_dir"] = Path(cache_dir) if cache_dir else None


def default_method() -> str:
    return _settings["method"]


@dataclass(frozen=True)
class Quote:
    start: int  # [start, end) in the text given to rank(), Python string indices
    end: int
    text: str  # exactly text[start:end]
    score: float  # this sentence's 0-1 score for the criterion


@dataclass(frozen=True)
class Suggestion:
    criterion_id: str
    outcome: str  # the learning outcome's number
    criterion_text: str
    score: float  # 0-1, comparable within one Ranking (and across texts for one method)
    confidence: str  # "strong", "some" or "weak"
    quotes: tuple[Quote, ...]  # best first, 0-3 of them
    role: str | None = None  # with an evidence method: "meets", "supports" or "not_evidence"

    @property
    def supports_only(self) -> bool:
        """The evidence's method can support this criterion but never meet it."""
        return self.role == SUPPORTS

    @property
    def can_meet(self) -> bool | None:
        return None if self.role is None else self.role == MEETS


@dataclass(frozen=True)
class Ranking:
    unit_id: str
    unit_version: str
    requested: str  # the method asked for ("auto" unless told otherwise)
    method: str  # the method used: "combined", "embedding" or "lexical"
    reason: str  # why that method, in words a page can show
    model: str  # the model's name and version when it was used, else ""
    evidence_method: str | None
    suggestions: tuple[Suggestion, ...] = field(default=())
    sentences: int = 0  # how many sentences of the text were read
    truncated: bool = False  # longer than MAX_CHARS or MAX_SENTENCES: only its start was read

    def as_dict(self) -> dict:
        """The stable JSON shape (README, "Criteria suggestions"; keys are only added)."""
        return {
            "format": FORMAT, "unit": {"id": self.unit_id, "version": self.unit_version},
            "requested": self.requested, "method": self.method, "reason": self.reason,
            "model": self.model or None, "evidence_method": self.evidence_method,
            "sentences": self.sentences, "truncated": self.truncated,
            "suggestions": [{
                "rank": n, "criterion": s.criterion_id, "outcome": s.outcome,
                "text": s.criterion_text, "score": round(s.score, 3),
                "confidence": s.confidence, "role": s.role, "supports_only": s.supports_only,
                "quotes": [{"start": q.start, "end": q.end, "text": q.text,
                            "score": round(q.score, 3)} for q in s.quotes],
            } for n, s in enumerate(self.suggestions, 1)],
        }


def choose(requested: str) -> tuple[str, str]:
    """(method to use, why) for a requested method; ModelUnavailable if it needs the model
    and the model cannot be had."""
    if requested not in METHODS:
        raise ValueError(f"unknown suggestion method {requested!r} (one of {', '.join(METHODS)})")
    if requested == LEXICAL:
        return LEXICAL, "BM25 was asked for"
    try:
        embedding.model()
    except embedding.ModelUnavailable as exc:
        if requested == AUTO:
            return LEXICAL, str(exc)
        raise
    if requested == AUTO:
        return COMBINED, "the model is installed: sentence embeddings and BM25 combined"
    return requested, f"{requested} was asked for"


def status() -> tuple[str, str]:
    """What "auto" would use, and why, without loading the model (for a page to say)."""
    missing = embedding.installed()
    return (LEXICAL, missing) if missing else (COMBINED, "the model extra is installed")


def lexical_index(unit: Unit) -> lexical.Index:
    key = f"{unit.id}:{unit.version}:{criteria.VIEWS_FORMAT}"
    with _index_lock:
        if key not in _indexes:
            _indexes[key] = lexical.Index.build([criteria.document(c) for c in unit.criteria])
        return _indexes[key]


def raw_lexical(unit: Unit, segments: list[Segment], extra: list[Passage] = ()
                ) -> tuple[list[list[float]], list[float]]:
    """BM25 per sentence (then per passage of `extra`) and criterion, and of the whole text
    per criterion."""
    index = lexical_index(unit)
    words = [lexical.terms(s.clean) for s in segments]
    rows = [index.scores(w) for w in words]
    rows += [index.scores(lexical.terms(x.clean)) for x in extra]
    return rows, index.scores([t for w in words for t in w])


def cosines(unit: Unit, segments: list[Segment], extra: list[Passage], cache_dir: Path | None,
            views: list[criteria.View] | None = None):
    """The cosine of every sentence, then every passage of `extra`, then the whole text with
    every view of the unit's criteria (`views`, default criteria.views), as rows. A passage's
    vector, and the whole text's, is the mean of its sentences' (scaled to unit length):
    encoding each passage again, as one text, ranked no better on TUNING and took about twice
    the time."""
    import numpy as np

    views = views if views is not None else criteria.views(unit)
    texts = [v.text for v in views]
    vectors = embedding.criterion_vectors(unit.version, texts, criteria.digest(texts), cache_dir)
    if not segments:
        return [[0.0] * len(views)]
    encoded = embedding.encode([s.clean for s in segments])
    groups = [encoded[x.first:x.last + 1] for x in extra] + [encoded]
    means = np.vstack([g.mean(axis=0) for g in groups])
    means /= np.maximum(np.linalg.norm(means, axis=1, keepdims=True), 1e-9)
    return np.vstack([encoded, means]).dot(vectors.T).tolist()


def raw_embedding(unit: Unit, segments: list[Segment], cache_dir: Path | None,
                  p: Params, extra: list[Passage] = ()) -> tuple[list[list[float]], list[float]]:
    """Per sentence (then per passage of `extra`) and criterion, and for the whole text: the
    best weighted cosine over the criterion's views."""
    views = criteria.views(unit)
    maxima = scoring.view_maxima(cosines(unit, segments, list(extra), cache_dir, views),
                                 [v.criterion for v in views],
                                 scoring.view_weights([v.kind for v in views], p),
                                 len(unit.criteria))
    return maxima[:-1], maxima[-1]


def rank(unit: Unit, text: str, *, method: str | None = None, method_id: str | None = None,
         top: int | None = None, params: Params | None = None) -> Ranking:
    """Rank `unit`'s criteria for one evidence text (see the package docstring). `params`
    replaces the used method's constants (for the bench's search; pages never pass it)."""
    requested = method or default_method()
    if method_id is not None and method_id not in unit.methods:
        raise ValueError(f"{unit.id} has no evidence method {method_id!r}")
    used, reason = choose(requested)
    params = params or PARAMS[used]
    read = text[:MAX_CHARS]
    segments = split(read)
    cut = len(text) > MAX_CHARS or len(segments) > MAX_SENTENCES
    segments = segments[:MAX_SENTENCES]
    extra = passages(segments) if params.passage_weight > 0 else []
    cache_dir = _settings["cache_dir"]
    lex, lex_doc = (raw_lexical(unit, segments, extra) if used in (LEXICAL, COMBINED)
                    else (None, None))
    emb, emb_doc = (raw_embedding(unit, segments, cache_dir, params, extra) if used != LEXICAL
                    else (None, None))
    rows = scoring.sentence_scores(used, [s.role for s in segments] + [x.role for x in extra],
                                   lex, emb, params)
    n = len(segments)
    scored = scoring.ordered(scoring.criterion_scores(
        rows[:n], len(unit.criteria), params,
        doc=scoring.doc_scores(used, lex_doc, emb_doc, params),
        prior=scoring.method_prior(unit, method_id, params), passages=rows[n:]))
    ref = scoring.reference(scored)  # of every criterion, before `top` cuts the list
    if top is not None:
        scored = scored[:max(0, top)]
    crits = unit.criteria
    suggestions = []
    for s in scored:
        c = crits[s.criterion]
        quotes = tuple(Quote(segments[i].start, segments[i].end, segments[i].text,
                             s.sentences[i]) for i in scoring.quote_indexes(s, params))
        suggestions.append(Suggestion(
            criterion_id=c.id, outcome=c.outcome, criterion_text=c.text, score=s.score,
            confidence=scoring.confidence(s.score, ref, params), quotes=quotes,
            role=c.role_of(method_id) if method_id else None))
    return Ranking(unit_id=unit.id, unit_version=unit.version, requested=requested,
                   method=used, reason=reason,
                   model=embedding.model_name() if used != LEXICAL else "",
                   evidence_method=method_id, suggestions=tuple(suggestions),
                   sentences=len(segments), truncated=cut)
