"""Quotes of evidence text: finding a passage, finding it again after a revision, and showing
it highlighted. Pure: strings in, offsets and escaped HTML out (no Flask, no database).

A quote is matched on *folded* text: every run of whitespace (line breaks, tabs, non-breaking
spaces) is one space, typographic quotes and dashes are their plain forms (’ ' “ " – -),
invisible characters (soft hyphens, zero-width spaces) are dropped and compatibility forms
(the ligature ﬁ, full-width letters) are their plain letters. So a passage pasted from a page,
an email or a word processor, with other line breaks or curly quotes, still matches. Offsets
always index the *real* text: `fold` keeps, for every folded character, the index of the
character it came from.

After a revision a passage is looked for again: exactly (folded), else approximately, word by
word (difflib), and accepted as "the same passage, changed" when the words of the old and new
wording score CLOSE_ENOUGH or more (SequenceMatcher.ratio over lower-cased words: 2 x words in
common, in order / words in both). 0.6 keeps a sentence with a few words reworded or a clause
added, and lets a passage go when most of it was rewritten.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from difflib import SequenceMatcher

from markupsafe import Markup, escape

QUOTE_MAX = 1500  # characters: a passage, not the whole item
QUOTE_MIN = 8  # characters (folded): a few words, so a quote points at one place
CLOSE_ENOUGH = 0.6

_FOLD = {
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "\u00b4": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
    "\u00ab": '"', "\u00bb": '"',
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-",
    "\u2212": "-", "\u2026": "...",
    "\u00ad": "", "\u200b": "", "\u200c": "", "\u200d": "", "\u2060": "", "\ufeff": "",
}
_WORD = re.compile(r"\w+")


def fold(text: str) -> tuple[str, list[int]]:
    """The folded text, and for each of its characters the index in `text` it came from.
    Leading and trailing whitespace is dropped."""
    out: list[str] = []
    where: list[int] = []
    for i, ch in enumerate(text):
        if ch.isspace():
            if out and out[-1] != " ":
                out.append(" ")
                where.append(i)
            continue
        plain = _FOLD.get(ch)
        if plain is None:
            plain = unicodedata.normalize("NFKC", ch) if ord(ch) > 127 else ch
        for p in plain:
            out.append(p)
            where.append(i)
    if out and out[-1] == " ":
        out.pop()
        where.pop()
    return "".join(out), where


def folded(text: str) -> str:
    return fold(text)[0]


@dataclass(frozen=True)
class Anchor:
    """Where a passage sits: text[start:end] is `text` exactly."""

    start: int
    end: int
    text: str


def _span(text: str, where: list[int], first: int, last: int) -> Anchor:
    """The real text from folded index `first` to `last` (inclusive)."""
    start, end = where[first], where[last] + 1
    return Anchor(start, end, text[start:end])


def find(text: str, quote: str) -> Anchor | None:
    """The first place `quote` occurs in `text`, compared folded; None if it does not."""
    needle = folded(quote)
    if not needle:
        return None
    haystack, where = fold(text)
    at = haystack.find(needle)
    if at < 0:
        return None
    return _span(text, where, at, at + len(needle) - 1)


def problem(quote: str) -> str | None:
    """Why a quote cannot be stored whatever the evidence says (too short, too long)."""
    size = len(folded(quote))
    if size > QUOTE_MAX:
        return (f"A quote can be at most {QUOTE_MAX:,} characters (this one has {size:,}): "
                "quote the sentence or passage that meets the criterion, not the whole item.")
    if size < QUOTE_MIN:
        return "Quote at least a few words, so the passage is one place in the evidence."
    return None


@dataclass(frozen=True)
class Near:
    anchor: Anchor
    ratio: float


def nearest(text: str, quote: str, threshold: float = CLOSE_ENOUGH) -> Near | None:
    """The passage of `text` most like `quote` word for word, if it scores `threshold` or
    more (see the module's docstring); None otherwise.

    Candidates are the places the quote's longest runs of words line up with the text; each
    is widened to the quote's length either side, and the passage is the stretch from the
    first to the last run of two or more words in common there (one word in common only, for
    a quote that short). It starts and ends on whole whitespace-separated tokens, so a full
    stop or a closing quote mark stays with its word.
    """
    haystack, where = fold(text)
    words = [(m.group().lower(), m.start(), m.end()) for m in _WORD.finditer(haystack)]
    wanted = [m.group().lower() for m in _WORD.finditer(folded(quote))]
    if not words or not wanted:
        return None
    tokens = [w for w, _, _ in words]
    size = len(wanted)
    matcher = SequenceMatcher(None, tokens, wanted, autojunk=False)
    blocks = sorted((b for b in matcher.get_matching_blocks() if b.size),
                    key=lambda b: -b.size)[:6]
    best: tuple[float, int, int] | None = None
    for block in blocks:
        lo = max(0, block.a - block.b - size)
        hi = min(len(tokens), block.a - block.b + 2 * size)
        local = SequenceMatcher(None, tokens[lo:hi], wanted, autojunk=False)
        runs = [b for b in local.get_matching_blocks() if b.size >= (2 if size > 3 else 1)]
        if not runs:
            continue
        first, last = lo + runs[0].a, lo + runs[-1].a + runs[-1].size - 1
        ratio = SequenceMatcher(None, tokens[first:last + 1], wanted,
                                autojunk=False).ratio()
        if best is None or ratio > best[0]:
            best = (ratio, first, last)
    if best is None or best[0] < threshold:
        return None
    ratio, first, last = best
    start, end = words[first][1], words[last][2]
    while start > 0 and haystack[start - 1] != " ":
        start -= 1
    while end < len(haystack) and haystack[end] != " ":
        end += 1
    anchor = _span(text, where, start, end - 1)
    # A quote of whole sentences stays whole: a clause added at its end is part of it now.
    plain = folded(quote)
    return Near(widen(text, anchor, back=plain[:1].isupper(),
                      forward=bool(_ENDS.search(plain))), round(ratio, 3))


_ENDS = re.compile(r"[.!?][\"')\]]*$")
_STOP = re.compile(r"[.!?][\"'’”)\]]*(?=\s|$)|\n\s*\n")
REACH = 300  # characters a passage is widened by, at most, to take in its sentence


def widen(text: str, anchor: Anchor, *, back: bool = True, forward: bool = True) -> Anchor:
    """The anchor widened to the sentence (or sentences) it sits in: back to the end of the
    sentence before it (or a blank line), forward to its own sentence's end; within REACH."""
    start, end = anchor.start, anchor.end
    if forward and not _ENDS.search(text[start:end]):
        stop = _STOP.search(text, end, min(len(text), end + REACH))
        if stop is not None:
            end = stop.end() if not stop.group().startswith("\n") else stop.start()
    if back:
        before = text[max(0, start - REACH):start]
        stops = list(_STOP.finditer(before))
        if stops:
            start = start - len(before) + stops[-1].end()
        elif start - len(before) == 0:
            start = 0
        while start < end and text[start].isspace():
            start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return Anchor(start, end, text[start:end])


# Highlighting ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Mark:
    """A quoted passage to highlight: [start, end) of the text, the words of its label
    ("AC 2.1") and the id its first piece carries (the claim's quote links to it)."""

    start: int
    end: int
    label: str
    anchor_id: str


def marked(text: str, marks: list[Mark], start: int = 0, end: int | None = None) -> Markup:
    """text[start:end] as HTML, every character escaped, with each mark's passage in <mark>
    and a visible label where it begins ("AC 2.1"), so the criteria are read, not guessed
    from a colour. Overlapping passages share the <mark>, with both labels; a passage that
    began before `start` carries "(continued)". Show it with white-space: pre-wrap."""
    end = len(text) if end is None else end
    inside = [m for m in marks if m.start < end and m.end > start and m.end > m.start]
    cuts = sorted({start, end} | {max(start, m.start) for m in inside}
                  | {min(end, m.end) for m in inside})
    out: list[str] = []
    labelled: set[str] = set()
    for a, b in zip(cuts, cuts[1:], strict=False):
        if a >= b:
            continue
        covering = [m for m in inside if m.start <= a < m.end]
        for m in covering:
            if m.anchor_id in labelled:
                continue
            labelled.add(m.anchor_id)
            words = m.label if m.start >= start else f"{m.label} (continued)"
            ident = f' id="{escape(m.anchor_id)}"' if m.start >= start else ""
            out.append(f'<span class="quote-label"{ident}>{escape(words)}</span>')
        piece = str(escape(text[a:b]))
        if covering:
            many = " quote-overlap" if len(covering) > 1 else ""
            piece = f'<mark class="quote{many}">{piece}</mark>'
        out.append(piece)
        for m in inside:
            if m.end == b:
                out.append(f'<span class="visually-hidden">(end of the quote for '
                           f'{escape(m.label)})</span>')
    return Markup("".join(out))  # noqa: S704  (every piece of text above is escaped)
