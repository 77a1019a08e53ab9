"""Criteria suggestions: which of a unit's criteria one piece of evidence seems to meet, with
the sentences that show it. A person always decides: nothing here claims or judges.

    from portfolio import suggest
    ranking = suggest.rank(unit, text, method_id="reflective_account", top=5)
    ranking.method, ranking.reason      # "combined", "the model is installed: ..."
    for s in ranking.suggestions:       # best first
        s.criterion_id, s.confidence, s.score, s.supports_only
        for q in s.quotes:              # text[q.start:q.end] == q.text
            ...

Two rankers, one scale (scoring.py): BM25 over each criterion's text, amplification and
guidance (lexical.py, always there), and sentence embeddings from a model shipped in a PyPI
wheel (embedding.py, the optional model extra), mixed when both are there. The text is cut into
sentences that know emails, transcripts and lists (sentences.py). Pure: no Flask, no database;
`init_app` only reads the app's settings.
"""

from __future__ import annotations

from .embedding import ModelUnavailable
from .ranker import (
    AUTO,
    MAX_CHARS,
    METHODS,
    Quote,
    Ranking,
    Suggestion,
    configure,
    default_method,
    rank,
    status,
)
from .scoring import COMBINED, EMBEDDING, LEXICAL, SOME, STRONG, WEAK
from .sentences import Segment, split

__all__ = ["AUTO", "COMBINED", "EMBEDDING", "LEXICAL", "MAX_CHARS", "METHODS", "SOME", "STRONG",
           "WEAK", "ModelUnavailable", "Quote", "Ranking", "Segment", "Suggestion", "configure",
           "default_method", "init_app", "rank", "split", "status", "utf16_offset"]


def init_app(app) -> None:
    """Take SUGGEST_METHOD and SUGGEST_CACHE_DIR from the app's settings."""
    configure(method=app.config["SUGGEST_METHOD"], cache_dir=app.config["SUGGEST_CACHE_DIR"])


def utf16_offset(text: str, index: int) -> int:
    """A Python string index as a JavaScript one (UTF-16 code units), for a page's script:
    they differ after any character outside the Basic Multilingual Plane (an emoji)."""
    return index + sum(1 for ch in text[:index] if ord(ch) > 0xFFFF)
