"""What the rankers compare evidence with: each criterion's words, from the unit's spec alone.

A criterion is read as its text (the awarding body's words, which weigh most), its
amplification (the spec's examples of what the criterion covers) and its guidance (the hint the
gap panel shows the learner). The lexical ranker reads them as one document per criterion; the
embedding ranker compares each sentence with each of them separately ("views") and keeps the
best, because a sentence about mystery shopping matches one amplification bullet closely and the
whole criterion only loosely. Pure.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from ..spec import Criterion, Unit
from .lexical import terms

TEXT_WEIGHT = 2  # the criterion's own words count twice in its lexical document
VIEWS_FORMAT = 1  # bump when the views change: cached vectors are then recomputed


@dataclass(frozen=True)
class View:
    criterion: int  # index into unit.criteria
    kind: str  # "text", "amplification" or "guidance"
    text: str


def document(criterion: Criterion) -> list[str]:
    """The criterion's lexical document: its stemmed words, the text's counted TEXT_WEIGHT
    times."""
    words = terms(criterion.text) * TEXT_WEIGHT
    for line in criterion.amplification:
        words += terms(line)
    return words + terms(criterion.guidance)


def views(unit: Unit) -> list[View]:
    """Every criterion's texts for the embedding ranker, in criterion order."""
    out = []
    for i, c in enumerate(unit.criteria):
        out.append(View(i, "text", c.text))
        for line in c.amplification:
            for part in _parts(line):
                out.append(View(i, "amplification", part))
        if c.guidance:
            out.append(View(i, "guidance", c.guidance))
    return out


def _parts(line: str) -> list[str]:
    """An amplification bullet, whole, and its examples one by one when it lists several
    ("Monitoring techniques: e.g. feedback cards, surveys, mystery shopping") with the
    bullet's heading in front of each, so each example keeps its sense."""
    head, sep, rest = line.partition(":")
    if not sep or len(head) > 60:
        return [line]
    rest = re.sub(r"^\s*e\.g\.?\s*", "", rest.strip())
    pieces = [p.strip(" .") for p in re.split(r";\s*", rest) if p.strip(" .")]
    if len(pieces) < 2:
        return [line]
    return [line] + [f"{head}: {p}" for p in pieces]


def digest(texts: list[str]) -> str:
    """A short fingerprint of the views' texts, part of the cache key: a change to how views
    are built (or a unit text change the version somehow missed) never reads stale vectors."""
    h = hashlib.sha256(f"views {VIEWS_FORMAT}\n".encode())
    for t in texts:
        h.update(t.encode("utf-8") + b"\0")
    return h.hexdigest()[:16]
