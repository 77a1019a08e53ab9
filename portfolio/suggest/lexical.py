"""The lexical ranker: BM25 with the criteria as the documents and each evidence sentence as a
query. Always available: pure Python, no downloads.

Why this way round: a unit has a handful of criteria, fixed per unit version, so their statistics
are computed once; each sentence of the evidence is a short query, and the criteria it shares
rare words with ("escalate", "ombudsman", "compensation") score highest, while the words every
criterion has ("complaint", "customer") weigh almost nothing (their inverse document frequency
is near zero). Words are lower-cased, English stop words dropped and a light suffix-stripping
stemmer folds "escalated", "escalating" and "escalation" together. Nothing here knows Unit 40.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass

K1, B = 1.2, 0.75  # the usual BM25 constants (Robertson et al.)

STOP_WORDS = frozenset("""
a about above after again against all also am an and any are as at be because been before being
below between both but by can could did do does doing down during each either etc few for from
further had has have having he her here hers herself him himself his how i if in into is it its
itself just me more most my myself no nor not now of off on once only or other our ours
ourselves out over own same she should so some such than that the their theirs them themselves
then there these they this those through to too under until up us very was we were what when
where which while who whom why will with would you your yours yourself yourselves e g eg ie i.e
may might must shall let lets got get gets one two three s t d ll m re ve y
""".split())

_WORD = re.compile(r"[a-z0-9]+(?:['’][a-z]+)?")
# One suffix comes off, the longest that fits, leaving a stem of three letters or more (four
# for the "-ate" family, so "update" keeps its stem): escalate, escalated, escalating and
# escalation all become "escal"; regulator, regulatory and regulation "regul".
_SUFFIXES = sorted((
    "isations", "izations", "isation", "ization", "ational", "ations", "ation", "ators", "ator",
    "atory", "ates", "ated", "ating", "ate", "ities", "ity", "ments", "ment", "ness", "ings",
    "ing", "ions", "ion", "ory", "ies", "ied", "ised", "ized", "ises", "izes", "ise",
    "ize", "ers", "er", "ed", "es", "ly", "s", "e"), key=len, reverse=True)
_IRREGULAR = {"apology": "apolog", "apologies": "apolog", "rang": "ring", "phoned": "phon",
              "told": "tell", "bought": "buy", "spoke": "speak", "spoken": "speak",
              "wrote": "writ", "written": "writ", "paid": "pay", "sent": "send", "kept": "keep",
              "gave": "giv", "given": "giv", "took": "tak", "taken": "tak", "agreed": "agre",
              "agreeing": "agre", "agrees": "agre", "agree": "agre", "complaint": "complain",
              "complaints": "complain", "explanation": "explain", "explanations": "explain",
              "satisfaction": "satisfy", "dissatisfaction": "dissatisfy", "empathy": "empath",
              "empathetic": "empath", "empathic": "empath", "empathised": "empath",
              "liable": "liabil", "solution": "solv", "solutions": "solv", "solve": "solv",
              "solved": "solv", "resolution": "resolv", "resolutions": "resolv"}


def stem(word: str) -> str:
    """A light English stemmer: enough to fold the forms of a word that evidence and criteria
    write differently (inform / informed / informing; negotiate / negotiation), not a
    linguist's Porter stemmer. Consistency matters more than correctness here."""
    if word in _IRREGULAR:
        return _IRREGULAR[word]
    if len(word) <= 3 or not word.isalpha():
        return word
    for suffix in _SUFFIXES:
        if not word.endswith(suffix):
            continue
        rest = word[: -len(suffix)]
        if len(rest) < (4 if suffix.startswith("at") else 3):
            continue
        if suffix == "s" and rest[-1] in "sui":  # "progress", "status", "analysis"
            continue
        if suffix in ("ies", "ied"):
            rest += "y"
        elif (suffix in ("ed", "ing", "er", "ers") and rest[-1] == rest[-2]
              and rest[-1] not in "lsz"):
            rest = rest[:-1]  # "stopped" -> "stop"
        if rest.endswith("e") and len(rest) > 4:
            rest = rest[:-1]  # "replacement" -> "replace" -> "replac", as "replaced"
        return rest
    return word


def terms(text: str) -> list[str]:
    """The stemmed words of `text` that carry meaning, in order (repeats kept)."""
    words = (w.replace("’", "'").split("'")[0] for w in _WORD.findall(text.lower()))
    return [stem(w) for w in words if w not in STOP_WORDS and len(w) > 1]


@dataclass(frozen=True)
class Index:
    """BM25 statistics of a fixed set of documents (a unit's criteria)."""

    docs: tuple[Counter, ...]
    lengths: tuple[int, ...]
    average: float
    idf: dict[str, float]

    @classmethod
    def build(cls, documents: list[list[str]]) -> Index:
        docs = tuple(Counter(d) for d in documents)
        lengths = tuple(len(d) for d in documents)
        n = len(docs)
        frequency = Counter(t for d in docs for t in d)
        # The "+1" form of BM25's IDF, never negative for a word in most documents.
        idf = {t: math.log((n - f + 0.5) / (f + 0.5) + 1) for t, f in frequency.items()}
        return cls(docs, lengths, (sum(lengths) / n) if n else 0.0, idf)

    def scores(self, query: list[str]) -> list[float]:
        """BM25 score of every document for `query` (each distinct term counted once: a
        sentence that repeats a word is not more relevant for it)."""
        out = []
        unique = set(query)
        for doc, length in zip(self.docs, self.lengths, strict=True):
            norm = K1 * (1 - B + B * length / self.average) if self.average else K1
            total = 0.0
            for t in unique:
                tf = doc.get(t)
                if tf:
                    total += self.idf[t] * tf * (K1 + 1) / (tf + norm)
            out.append(total)
        return out
