"""What the suggestions page shows, and the learner's dismissals.

A ranking depends only on the text, the unit's version, the item's method and the ranker in
use, so the app keeps the RANKINGS_KEPT most recent under those (a second visit, or the
assessor's after the learner's, ranks nothing). Claims and dismissals are read fresh.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass, replace

from flask import current_app
from sqlalchemy import select

from .. import audit, suggest
from ..audit import AuditAction
from ..coverage import held_back
from ..coverage_words import in_sentence, rule_of
from ..errors import DomainError
from ..evidence.passages import readable
from ..extensions import db
from ..facts import fact_of
from ..models import Evidence, SuggestionDismissal, User
from ..spec import Unit
from ..spec.model import MEETS, NOT_EVIDENCE, SUPPORTS
from ..suggest import embedding

CONFIDENCE_WORDS = {suggest.STRONG: "Strong match", suggest.SOME: "Some match",
                    suggest.WEAK: "Weak match"}


@dataclass(frozen=True)
class Shown:
    """One suggestion as the page shows it."""

    suggestion: suggest.Suggestion
    confidence: str  # "Strong match", ...
    rule: str  # when this kind of evidence cannot meet the criterion, why, in words; else ""
    claimed: bool
    dismissed: SuggestionDismissal | None
    limit: str = ""  # the rule in two or three words, for a list ("supports only"); or ""


@dataclass(frozen=True)
class Suggestions:
    ranking: suggest.Ranking | None  # None: the item has no text to read
    shown: tuple[Shown, ...]
    # Why the unit's rules let this whole item only support for now (an unverified witness,
    # a declared AI draft), in words; "" when nothing holds it back.
    held: str = ""

    @property
    def how(self) -> str:
        """How these were ranked, in words for the page: never the server's paths or errors,
        which go to the log (and which `flask suggest` prints)."""
        ranking = self.ranking
        if ranking is None:
            return ""
        if ranking.method == suggest.COMBINED:
            return ("by the suggestion model (sentence embeddings) and word matching (BM25) "
                    "together")
        if ranking.method == suggest.EMBEDDING:
            return "by the suggestion model (sentence embeddings) alone"
        if ranking.requested == suggest.LEXICAL:
            return "by word matching (BM25) alone, as this server is set to"
        if embedding.installed() == embedding.NOT_INSTALLED:
            return ("by word matching (BM25) alone: the suggestion model is not installed on "
                    "this server")
        return ("by word matching (BM25) alone: the suggestion model could not be loaded, and "
                "the server's log says why")


def _rule(unit: Unit, evidence: Evidence, s: suggest.Suggestion,
          held: str) -> tuple[str, str]:
    """(the rule in a few words, the rule in a sentence) when this kind of evidence, or what
    holds the item back, keeps the suggestion from meeting its criterion; ("", "") if not."""
    criterion = next(c for c in unit.criteria if c.id == s.criterion_id)
    name = in_sentence(unit.method_name(evidence.method))
    if s.role == MEETS and held:
        return "supports only, for now", f"Supports only, for now: {held}."
    if s.role == SUPPORTS:
        return ("supports only",
                f"Supports only: {name} can support this, but {rule_of(unit, criterion)}.")
    if s.role == NOT_EVIDENCE:
        return ("does not count",
                f"Does not count: {name} is not evidence for AC {criterion.id} in this unit; "
                f"{rule_of(unit, criterion)}.")
    return "", ""


RANKINGS_KEPT = 256
_lock = threading.Lock()


def ranking_of(unit: Unit, text: str, method_id: str) -> suggest.Ranking:
    """suggest.rank for the page, kept by the app (see above)."""
    chosen = suggest.default_method()
    ranker = suggest.status()[0] if chosen == suggest.AUTO else chosen
    key = hashlib.sha256("\0".join((unit.id, unit.version, method_id, ranker, text))
                         .encode()).hexdigest()
    kept: OrderedDict = current_app.extensions.setdefault("suggestion_rankings", OrderedDict())
    with _lock:
        found = kept.get(key)
        if found is not None:
            kept.move_to_end(key)
            return found
    try:
        found = suggest.rank(unit, text, method_id=method_id)
    except suggest.ModelUnavailable as exc:  # the model was asked for by name, and failed
        current_app.logger.warning("suggestions: %s; BM25 used instead", exc)
        found = replace(suggest.rank(unit, text, method=suggest.LEXICAL, method_id=method_id),
                        requested=chosen, reason=f"{exc}; BM25 used instead")
    if found.method == ranker:  # not a fallback made mid-way (the model failed to load)
        with _lock:
            kept[key] = found
            while len(kept) > RANKINGS_KEPT:
                kept.popitem(last=False)
    return found


def dismissals(evidence: Evidence) -> dict[str, SuggestionDismissal]:
    return {d.criterion_id: d for d in db.session.scalars(
        select(SuggestionDismissal).where(SuggestionDismissal.evidence_id == evidence.id))}


def suggestions_for(evidence: Evidence, unit: Unit) -> Suggestions:
    """The unit's criteria ranked for this item's current text, best first."""
    found = readable(evidence)
    if found.fresh:  # read now for the first time: kept, as the evidence page keeps it
        db.session.commit()
    text = found.text
    held = held_back(unit, fact_of(evidence))
    if not text.strip():
        return Suggestions(None, (), held)
    ranking = ranking_of(unit, text, evidence.method)
    claimed = {c.criterion_id for c in evidence.claims if not c.withdrawn}
    set_aside = dismissals(evidence)
    shown = []
    for s in ranking.suggestions:
        limit, rule = _rule(unit, evidence, s, held)
        shown.append(Shown(s, CONFIDENCE_WORDS[s.confidence], rule, s.criterion_id in claimed,
                           set_aside.get(s.criterion_id), limit))
    return Suggestions(ranking, tuple(shown), held)


def dismiss(evidence: Evidence, unit: Unit, criterion_id: str, reason: str, *,
            actor: User) -> SuggestionDismissal:
    """The learner sets a suggestion aside (with a reason, if they give one); the assessor
    sees it. Dismissing it again updates the reason."""
    if criterion_id not in {c.id for c in unit.criteria}:
        raise DomainError(f"AC {criterion_id} is not a criterion of {unit.name}.")
    reason = (reason or "").strip()[:500]
    row = dismissals(evidence).get(criterion_id)
    if row is None:
        row = SuggestionDismissal(evidence_id=evidence.id, criterion_id=criterion_id,
                                  dismissed_by_id=actor.id)
        db.session.add(row)
    row.reason, row.evidence_version = reason, evidence.version
    db.session.flush()
    audit.record(AuditAction.SUGGESTION_DISMISSED, actor=actor, portfolio=evidence.portfolio,
                 summary=f"Set aside the suggestion of AC {criterion_id} for “{evidence.title}”"
                         + (f": {reason}" if reason else ""),
                 evidence_id=evidence.id, criterion_id=criterion_id)
    return row

