"""What changed between two versions of an evidence item. Pure: dicts in, a summary out.

The version contents are the dicts kept in EvidenceVersion.content_json (see
evidence/versions.py): the fields of the item, its files (by sha256) and its claims' rationales
and quoted passages.
The assessor reads this summary before judging a resubmission, so it names every difference
in words; long texts are compared paragraph by paragraph.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from .ai_use import words_of

FIELD_LABELS = {
    "title": "Title",
    "method": "Evidence method",
    "dated": "Date of the work",
    "place": "Place",
    "start_time": "Time",
    "duration_minutes": "Duration (minutes)",
    "context": "Workplace context",
    "questions_md": "Questions asked",
    "account_md": "Account",
    "ai_use": "Use of AI tools",
}
LONG_TEXT = {"context", "questions_md", "account_md"}


@dataclass(frozen=True)
class Paragraph:
    op: str  # "added", "removed" or "same"
    text: str


@dataclass(frozen=True)
class FieldChange:
    key: str
    label: str
    before: str
    after: str
    paragraphs: tuple[Paragraph, ...] = ()  # for long texts: the changed paragraphs in order


@dataclass(frozen=True)
class RationaleChange:
    criterion_id: str
    before: str | None  # None: not claimed then
    after: str | None  # None: no longer claimed


@dataclass(frozen=True)
class Changes:
    fields: tuple[FieldChange, ...] = ()
    files_added: tuple[dict, ...] = ()
    files_removed: tuple[dict, ...] = ()
    rationales: tuple[RationaleChange, ...] = ()
    quotes: tuple[RationaleChange, ...] = ()  # the passages claims quote (None: no quote)

    def __bool__(self) -> bool:
        return bool(self.fields or self.files_added or self.files_removed or self.rationales
                    or self.quotes)


def _text(value) -> str:
    return "" if value is None else str(value)


def paragraphs(before: str, after: str, context: int = 1) -> tuple[Paragraph, ...]:
    """Changed paragraphs with `context` unchanged ones either side; "…" marks a skip."""
    a = [p.strip() for p in before.replace("\r\n", "\n").split("\n\n") if p.strip()]
    b = [p.strip() for p in after.replace("\r\n", "\n").split("\n\n") if p.strip()]
    out: list[Paragraph] = []
    for group in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_grouped_opcodes(context):
        if out:
            out.append(Paragraph("same", "…"))
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                out.extend(Paragraph("same", p) for p in a[i1:i2])
                continue
            out.extend(Paragraph("removed", p) for p in a[i1:i2])
            out.extend(Paragraph("added", p) for p in b[j1:j2])
    return tuple(out)


def compare(before: dict, after: dict) -> Changes:
    """Every difference between two version contents, in the order a reader wants them."""
    found = []
    for key, label in FIELD_LABELS.items():
        if key == "ai_use":
            old, new = words_of(before.get(key)), words_of(after.get(key))
        else:
            old, new = _text(before.get(key)), _text(after.get(key))
        if old == new:
            continue
        paras = paragraphs(old, new) if key in LONG_TEXT else ()
        found.append(FieldChange(key=key, label=label, before=old, after=new, paragraphs=paras))
    old_files = {f["sha256"]: f for f in before.get("files", [])}
    new_files = {f["sha256"]: f for f in after.get("files", [])}
    old_why, new_why = before.get("rationales", {}), after.get("rationales", {})
    rationales = [RationaleChange(cid, old_why.get(cid), new_why.get(cid))
                  for cid in sorted(set(old_why) | set(new_why))
                  if old_why.get(cid) != new_why.get(cid)]
    old_quotes, new_quotes = before.get("quotes", {}), after.get("quotes", {})
    quotes = [RationaleChange(cid, old_quotes.get(cid), new_quotes.get(cid))
              for cid in sorted(set(old_quotes) | set(new_quotes))
              if old_quotes.get(cid) != new_quotes.get(cid)]
    return Changes(
        fields=tuple(found),
        files_added=tuple(f for sha, f in new_files.items() if sha not in old_files),
        files_removed=tuple(f for sha, f in old_files.items() if sha not in new_files),
        rationales=tuple(rationales),
        quotes=tuple(quotes),
    )
