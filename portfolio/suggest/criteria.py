"""What the rankers compare evidence with: each criterion's words, from the unit's spec alone.

A criterion is read as its text (the awarding body's words, which weigh most), its
amplification (the spec's examples of what the criterion covers), what an assessor looks for in
its evidence (`looks_for`, the centre's words where the awarding body gives no amplification)
and its guidance (the hint the gap panel shows the learner). The lexical ranker reads them as
one document per criterion; the embedding ranker compares each sentence with each of them
separately ("views") and keeps the best, because a sentence about mystery shopping matches one
amplification bullet closely and the whole criterion only loosely; for the same reason an
amplification bullet's examples and the guidance's clauses are views of their own too. Pure.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from ..spec import Criterion, Unit
from .lexical import terms

TEXT_WEIGHT = 2  # the criterion's own words count twice in its lexical document
CLAUSE_WORDS = 5
VIEWS_FORMAT = 3  # bump when the views change: cached vectors are then recomputed


@dataclass(frozen=True)
class View:
    criterion: int  # index into unit.criteria
    kind: str  # "text", "amplification", "looks_for" or "guidance"
    text: str


def document(criterion: Criterion) -> list[str]:
    """The criterion's lexical document: its stemmed words, the text's counted TEXT_WEIGHT
    times."""
    words = terms(criterion.text) * TEXT_WEIGHT
    for line in (*criterion.amplification, *criterion.looks_for):
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
        out.extend(View(i, "looks_for", line) for line in c.looks_for)
        if c.guidance:
            for part in _clauses(c.guidance):
                out.append(View(i, "guidance", part))
    return out


def _clauses(guidance: str) -> list[str]:
    """The guidance, whole, and its clauses one by one when it names more than one thing
    ("An observation ...; in a professional discussion, explain why ...", "Workplace evidence
    of you owning a complaint, with a professional discussion in which you explain ..."): the
    learner's words match one clause closely and the whole hint only loosely. A clause of
    fewer than CLAUSE_WORDS words ("Weigh up", "with a professional discussion") says too
    little to be read alone."""
    parts = [p.strip(" .") for p in re.split(r";\s*|,\s+(?=with\b)", guidance)]
    parts = [p for p in parts if len(p.split()) >= CLAUSE_WORDS]
    return [guidance] + parts if len(parts) > 1 else [guidance]


def _parts(line: str) -> list[str]:
    """An amplification bullet, whole, and its examples one by one when it lists several
    between semicolons ("Negotiating techniques: e.g. listening and questioning techniques to
    gather information; use of empathy; ...") with the bullet's heading in front of each, so
    each example keeps its sense. Commas are left alone: they also join the parts of one
    example, and splitting at them too lowered recall on the TUNING half.
    """
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
