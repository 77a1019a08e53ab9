"""Criteria suggestions: which of a unit's criteria one piece of evidence seems to meet, with
the sentences that show it. A person always decides: nothing here claims or judges.

    from portfolio import suggest
    ranking = suggest.rank(unit, text, method_id="reflective_account", top=5)
    ranking.method, ranking.reason      # "combined", "the model is installed: ..."
    for s in ranking.suggestions:       # best first
        s.criterion_id, s.confidence, s.score, s.supports_only
        for q in s.quotes:              # text[q.start:q.end] == q.text
            ...

Two rankers, one scale (scoring.py): BM25 over each criterion's text, amplification, what an
assessor looks for and guidance (lexical.py, always there), and sentence embeddings from a
model shipped in a PyPI wheel (embedding.py, the optional model extra), mixed when both are
there. The text is cut into sentences that know emails, transcripts and lists (sentences.py),
which are also read a few at a time as passages (a paragraph, a question with its answer);
quotes are always sentences.
Pure: no Flask, no database; `init_app` only reads the app's settings.
"""

from __future__ import annotations

import logging
import os
import threading

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
           "default_method", "init_app", "rank", "split", "status", "utf16_offset", "warm"]


def init_app(app) -> None:
    """Take SUGGEST_METHOD and SUGGEST_CACHE_DIR from the app's settings; with SUGGEST_WARM,
    load the model and every unit's criterion vectors in the background when the process
    serves its first request, so the first suggestion after a restart is as quick as the
    next. On the first request, not at start: a command, a migration or the job worker makes
    the app too and never needs the model, and a server that forks its workers after making
    the app (gunicorn --preload) must not fork a thread holding the model's locks."""
    configure(method=app.config["SUGGEST_METHOD"], cache_dir=app.config["SUGGEST_CACHE_DIR"])
    if not app.config.get("SUGGEST_WARM"):
        return
    warmed_in: set[int] = set()  # the processes that have started it (a fork is another)

    @app.before_request
    def _warm_once() -> None:
        if os.getpid() in warmed_in:
            return
        with _warm_lock:
            if os.getpid() in warmed_in:
                return
            warmed_in.add(os.getpid())
        from ..units import all_units

        units = list(all_units().values())
        threading.Thread(target=warm, args=(units,), name="suggest-warm", daemon=True).start()


_warm_lock = threading.Lock()


def warm(units) -> list[str]:
    """Rank one short text for each unit with the configured ranker (loading the model and
    the unit's criterion vectors, from the disk cache when they are there); the units warmed,
    as "unit-40: combined". A failure is logged, never raised: the page still works, slower."""
    done = []
    for unit in units:
        try:
            done.append(f"{unit.id}: {rank(unit, unit.criteria[0].text).method}")
        except Exception:  # noqa: BLE001 - a warm-up must never stop the app
            logging.getLogger(__name__).exception("suggestions: warming %s failed", unit.id)
    return done


def utf16_offset(text: str, index: int) -> int:
    """A Python string index as a JavaScript one (UTF-16 code units), for a page's script:
    they differ after any character outside the Basic Multilingual Plane (an emoji)."""
    return index + sum(1 for ch in text[:index] if ord(ch) > 0xFFFF)
