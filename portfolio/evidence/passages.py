"""The text a quote points into, and claims anchored to passages of it.

`readable_text(evidence, version=None)` is an evidence item's plain text as one of its versions
saved it (the current one by default), in this order, a blank line between parts:
- the questions asked (a professional discussion's record), then the account: the learner's
  own account, the assessor's record of what the learner did or said, or a witness's
  statement, its Markdown read as plain text (what the page shows, without the markup);
- each attached file, in the order attached, as file_text.py reads it (the one reading of a
  file that quotes, suggestions and the personal-data check all use, made in the sandbox at
  upload and kept beside the file): a Word document (mammoth's HTML as text), an email
  (its From, To, Cc, Date and Subject, then its body, then its attachments' names), the text
  layer of a PDF (pdfium), a plain-text file, and a CSV table (each row as "column: value"
  lines, a blank line between rows).
Photos (PNG, JPEG) have no text, nor has a scanned PDF without a text layer or a file that
could not be read: their parts are listed with a note and no text, and a claim on such
evidence works as before, without a quote.

Stable: the first time a version's text is read it is kept in EvidenceVersion.readable_json
and served from there ever after, so a quote's offsets index the same string for good, even if
a converter's output changes with a new library version. Only a complete reading is kept (a
file missing from the store is read again next time).

A claim's quote (Claim.quote*) is the passage as it stands in version `quote_version`,
[quote_start, quote_end) of that version's text. `anchor_quote` finds a typed or pasted quote
(compared folded: see portfolio.quoting); `anchor_span` takes offsets (a ranker's sentence);
`set_quote` stores either on a claim; `reanchor` finds every quote again in a new version
(record_version calls it) and flags those that changed or went.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict, dataclass, field

from flask import current_app
from markupsafe import Markup

from ..errors import FieldProblem, Problem
from ..file_text import text_of
from ..models import Claim, Evidence, QuoteFlag
from ..quoting import Anchor, Mark, find, folded, marked, nearest, problem, widen
from ..text import plain_text, render_markdown
from ..uploads import CSV, JPEG, PDF, PNG, TEXT

TEXT_LIMIT = 200_000  # characters of one part (a file's text is capped in the sandbox too)
NO_TEXT = ("This evidence has no text to quote (a photo has none, nor has a scanned PDF): "
           "leave the quote empty and say in the box above where the evidence shows it.")


@dataclass(frozen=True)
class Part:
    """One part of the readable text: text[start:end]. `kind` is questions, account or
    file; `name` a file's name; `note` why a file has no text."""

    kind: str
    name: str
    start: int
    end: int
    note: str = ""


@dataclass(frozen=True)
class Readable:
    text: str
    parts: tuple[Part, ...]
    version: int
    # Read now and kept on the version row: the caller commits (a page view too).
    fresh: bool = field(default=False, compare=False)


# Reading --------------------------------------------------------------------------------------


def _markdown_text(source: str) -> str:
    return plain_text(str(render_markdown(source)))


def _csv_text(raw: str) -> str:
    rows = [r for r in csv.reader(io.StringIO(raw)) if any(cell.strip() for cell in r)]
    if len(rows) < 2:
        return "\n".join("\t".join(r) for r in rows)
    header, out = rows[0], []
    for row in rows[1:]:
        out.append("\n".join(f"{header[i] if i < len(header) else i + 1}: {cell}"
                             for i, cell in enumerate(row) if cell.strip()))
    return "\n\n".join(out)


def _file_text(entry: dict, store) -> tuple[str, str, bool]:
    """A file's text, why it has none (a note), and whether the store could give the file.
    The text is file_text's: the one reading made in the sandbox at upload and kept beside
    the file, so quotes, suggestions and the personal-data check read the same words."""
    kind, sha256 = entry.get("type", ""), entry["sha256"]
    if kind in (PNG, JPEG):
        return "", "a picture: it has no text to quote", True
    read = text_of(store, sha256, kind)
    if read is None:
        return "", "no text to quote", True
    if read.unavailable:
        return "", "the file could not be read from the evidence store", False
    if read.problem:
        return "", read.problem, True
    text = read.text.replace("\r\n", "\n").replace("\r", "\n")[:TEXT_LIMIT]
    # libmagic often calls a CSV plain text: its name says it is a table.
    if kind == CSV or (kind == TEXT and entry.get("name", "").lower().endswith(".csv")):
        text = _csv_text(text)
    if kind == PDF and not text.strip():
        return "", "no text layer (a scan?): nothing to quote", True
    return text.strip()[:TEXT_LIMIT], "", True


def read_content(content: dict, store) -> tuple[list[tuple[str, str, str, str]], bool]:
    """The parts of a version's content (kind, name, text, note), and whether every file
    could be read from the store."""
    pieces, complete = [], True
    if (content.get("questions_md") or "").strip():
        pieces.append(("questions", "", _markdown_text(content["questions_md"]), ""))
    if (content.get("account_md") or "").strip():
        pieces.append(("account", "", _markdown_text(content["account_md"]), ""))
    for entry in content.get("files", []):
        text, note, stored = _file_text(entry, store)
        complete = complete and stored
        pieces.append(("file", entry.get("name", ""), text, note))
    return pieces, complete


def assemble(pieces: list[tuple[str, str, str, str]], version: int) -> Readable:
    """The parts joined by a blank line (parts without text take no room)."""
    text, parts = "", []
    for kind, name, piece, note in pieces:
        if piece and text:
            text += "\n\n"
        start = len(text)
        text += piece
        parts.append(Part(kind, name, start, len(text), note))
    return Readable(text, tuple(parts), version)


def _live_content(evidence: Evidence) -> dict:
    return {"questions_md": evidence.questions_md, "account_md": evidence.account_md,
            "files": [{"sha256": f.sha256, "name": f.filename, "type": f.mime_type}
                      for f in evidence.files]}


def readable(evidence: Evidence, version: int | None = None, *, store=None) -> Readable:
    """The readable text of `version` (default: the current one), with its parts."""
    number = evidence.version if version is None else version
    kept = next((v for v in evidence.versions if v.number == number), None)
    if kept is not None and kept.readable_json:
        saved = json.loads(kept.readable_json)
        return Readable(saved["text"], tuple(Part(**p) for p in saved["parts"]), number)
    if kept is None and number != evidence.version:
        raise LookupError(f"evidence {evidence.id} has no version {number}")
    store = store or current_app.extensions["evidence_store"]
    pieces, complete = read_content(kept.content if kept else _live_content(evidence), store)
    made = assemble(pieces, number)
    if kept is None or not complete:
        return made
    kept.readable_json = json.dumps({"text": made.text,
                                     "parts": [asdict(p) for p in made.parts]})
    return Readable(made.text, made.parts, number, fresh=True)


def readable_text(evidence: Evidence, version: int | None = None) -> str:
    """The plain text a quote indexes into, for the current (or a given) version: the same
    string every time for a given version. Empty when the evidence has no text."""
    return readable(evidence, version).text


# Anchoring ------------------------------------------------------------------------------------


class QuoteRefused(FieldProblem):
    """A quote that cannot be stored; `field` is the criterion id it was for."""

    def __init__(self, message: str, criterion_id: str = ""):
        super().__init__(message, criterion_id)


def _short(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def anchor_quote(evidence: Evidence, quote: str, *, criterion_id: str = "",
                 version: int | None = None) -> Anchor:
    """Where `quote` (typed or pasted) sits in the evidence's text; the first place when it
    occurs more than once. QuoteRefused, saying why, when it is not there."""
    trouble = problem(quote)
    if trouble:
        raise QuoteRefused(trouble, criterion_id)
    found = readable(evidence, version)
    if not found.text.strip():
        raise QuoteRefused(NO_TEXT, criterion_id)
    hit = find(found.text, quote)
    if hit is not None:
        return hit
    message = (f"The quote for AC {criterion_id} is not in the text of this evidence "
               f"(version {found.version}). Copy the sentence or passage from the text of the "
               "evidence on this page; line breaks and curly or straight quote marks do not "
               "matter, but every word must be as it is written.")
    near = nearest(found.text, quote, threshold=0.8)
    if near is not None:
        message += f" The nearest passage is: “{_short(widen(found.text, near.anchor).text)}”."
    raise QuoteRefused(message, criterion_id)


def anchor_span(evidence: Evidence, start: int, end: int, *, criterion_id: str = "",
                version: int | None = None) -> Anchor:
    """The passage at [start, end) of the evidence's text (a ranker's sentence, say), with
    the whitespace at its ends left out. QuoteRefused when it is not a passage of it."""
    text = readable_text(evidence, version)
    if not 0 <= start < end <= len(text):
        raise QuoteRefused(f"That passage is not in the text of this evidence as it stands "
                           f"(characters {start} to {end} of {len(text)}).", criterion_id)
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    trouble = problem(text[start:end])
    if trouble:
        raise QuoteRefused(trouble, criterion_id)
    return Anchor(start, end, text[start:end])


def set_quote(claim: Claim, anchor: Anchor | None, version: int) -> None:
    """Anchor the claim to a passage of `version` (None: take its quote away). Any flag from
    an earlier revision goes: the learner has quoted again."""
    claim.quote = anchor.text if anchor else ""
    claim.quote_start = anchor.start if anchor else None
    claim.quote_end = anchor.end if anchor else None
    claim.quote_version = version if anchor else None
    claim.quote_flag = ""
    claim.quote_was = ""


def is_new_quote(claim: Claim | None, typed: str | Anchor) -> bool:
    """Does the quote box's text (or an anchor) say something other than the claim's quote?
    A box sent back as it was shown (a flagged quote too) is no change."""
    if isinstance(typed, Anchor):
        return claim is None or (typed.start, typed.end, typed.text) != (
            claim.quote_start, claim.quote_end, claim.quote)
    return folded(typed) != folded(claim.quote if claim else "")


def new_quotes(evidence: Evidence, quotes: dict[str, str | Anchor]) -> dict[str, str | Anchor]:
    """The quotes (criterion id -> box or anchor) that differ from the claims' own."""
    claims = {c.criterion_id: c for c in evidence.claims}
    return {cid: q for cid, q in quotes.items() if is_new_quote(claims.get(cid), q)}


def quote_problems(evidence: Evidence, quotes: dict[str, str | Anchor]) -> list[Problem]:
    """Why each new quote cannot be stored (field: the criterion id), all at once."""
    return resolve_quotes(evidence, new_quotes(evidence, quotes))[1]


def resolve_quotes(evidence: Evidence, quotes: dict[str, str | Anchor]
                   ) -> tuple[dict[str, Anchor | None], list[Problem]]:
    """Each new quote (criterion id -> the box's text, or an Anchor) as an anchor in the
    current version (None: the box was emptied), and a Problem (field: the criterion id) for
    each that cannot be one, so a page can show them all at once."""
    anchors: dict[str, Anchor | None] = {}
    problems: list[Problem] = []
    for criterion_id, typed in sorted(quotes.items()):
        try:
            if isinstance(typed, Anchor):
                anchor = anchor_span(evidence, typed.start, typed.end,
                                     criterion_id=criterion_id)
                if anchor.text != typed.text.strip():
                    raise QuoteRefused("That passage is not in the text of this evidence as "
                                       "it stands.", criterion_id)
            elif not typed.strip():
                anchor = None
            else:
                anchor = anchor_quote(evidence, typed, criterion_id=criterion_id)
        except QuoteRefused as exc:
            problems.append(Problem(criterion_id, str(exc)))
            continue
        anchors[criterion_id] = anchor
    return anchors, problems


# After a revision ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Reanchored:
    """What became of one claim's quote in a new version: found (the same words), changed
    (found approximately, or found as it was re-anchored earlier: `ratio` says how close) or
    lost; `before` is the wording the learner quoted, `after` the wording now."""

    criterion_id: str
    outcome: str
    before: str
    after: str
    ratio: float | None = None


def _reanchor_claim(claim: Claim, text: str, number: int) -> Reanchored:
    chosen = claim.quote_was or claim.quote  # the words the learner quoted
    hit = find(text, claim.quote) or (find(text, chosen) if chosen != claim.quote else None)
    near = None
    if hit is None:
        near = max((n for n in (nearest(text, claim.quote), nearest(text, chosen)) if n),
                   key=lambda n: n.ratio, default=None)
        hit = near.anchor if near else None
    if hit is None:
        claim.quote_start = claim.quote_end = None
        claim.quote_flag, claim.quote_was = QuoteFlag.LOST.value, chosen
        return Reanchored(claim.criterion_id, "lost", chosen, "")
    same = near is None and folded(hit.text) == folded(chosen)
    claim.quote, claim.quote_start, claim.quote_end = hit.text, hit.start, hit.end
    claim.quote_version = number
    claim.quote_flag = "" if same else QuoteFlag.CHANGED.value
    claim.quote_was = "" if same else chosen
    return Reanchored(claim.criterion_id, "found" if same else "changed", chosen, hit.text,
                      near.ratio if near else 1.0)


def reanchor(evidence: Evidence, number: int | None = None) -> list[Reanchored]:
    """Find every quoted claim's passage again in version `number` (default: the current):
    the same words (folded) take their new offsets; words close enough (quoting.CLOSE_ENOUGH)
    re-anchor the claim to the new wording, flagged "changed" with the learner's wording kept;
    otherwise the quote is flagged "lost" (no longer in the evidence). Flushes nothing."""
    number = evidence.version if number is None else number
    quoted = [c for c in evidence.claims if c.quote and not (
        c.quote_version == number and c.quote_flag != QuoteFlag.LOST)]
    if not quoted:
        return []
    text = readable_text(evidence, number)
    return [_reanchor_claim(c, text, number) for c in quoted]


# Showing --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PartView:
    kind: str
    name: str
    note: str
    html: Markup  # the part's text, escaped, quoted passages in <mark> with their labels


def shown_quotes(evidence: Evidence, version: int) -> list[Claim]:
    """The claims whose quote sits in `version` (withdrawn claims count for nothing)."""
    return [c for c in evidence.claims if c.quote and c.quote_start is not None
            and c.quote_version == version and not c.withdrawn]


def passage_view(evidence: Evidence) -> tuple[Readable, list[PartView]]:
    """The current version's text as HTML, each quoted passage highlighted, per part."""
    found = readable(evidence)
    marks = sorted((Mark(c.quote_start, c.quote_end, f"AC {c.criterion_id}", f"quote-{c.id}")
                    for c in shown_quotes(evidence, found.version)),
                   key=lambda m: (m.start, m.end))
    return found, [PartView(p.kind, p.name, p.note, marked(found.text, marks, p.start, p.end))
                   for p in found.parts]
