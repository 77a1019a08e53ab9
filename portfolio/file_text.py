"""The plain text of an uploaded file, the one reading of it that everything uses: quoting
passages (evidence/passages.py), criteria suggestions (which rank that readable text), finding
personal data and the redacted copy. Plain text and CSV as they are; an email, a Word document
or a PDF as the sandboxed child that checked it at upload read it (parsers.py, parser_text.py),
kept in the store beside the file (storage.py: text/ab/<sha256>.json). A file uploaded before
text was kept is read now, in the same sandbox, once, and its text kept the same way.

Only the first READ_LIMIT characters are read; `cut` says when there was more (such a file
cannot be redacted here: its redacted copy would lose the rest).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from . import sandbox
from .parser_text import READ_LIMIT
from .storage import Changed, Missing
from .uploads import CSV, DOCX, EML, PDF, TEXT

PLAIN = {TEXT, CSV}
READ_IN_SANDBOX = {EML: "eml", DOCX: "docx", PDF: "pdf"}
TEXT_BEARING = PLAIN | set(READ_IN_SANDBOX)


@dataclass(frozen=True)
class FileText:
    text: str
    cut: bool = False  # longer than READ_LIMIT (or a PDF of more pages than are read)
    problem: str = ""  # why no text could be read, in words for the page
    unavailable: bool = False  # the file itself is missing or changed in the store


def _plain(path: Path) -> FileText:
    with path.open(encoding="utf-8", errors="replace", newline="") as fh:
        text = fh.read(READ_LIMIT + 1)
    return FileText(text[:READ_LIMIT], cut=len(text) > READ_LIMIT)


def _kept(path: Path) -> FileText:
    answer = json.loads(path.read_text(encoding="utf-8"))
    problem = answer.get("problem") or ""
    return FileText(answer.get("text") or "", bool(answer.get("cut")),
                    f"its text could not be read ({problem})" if problem else "")


def _read_now(store, sha256: str, mime_type: str, original: Path) -> FileText:
    """Read a file uploaded before its text was kept, in the sandbox; keep what it gives."""
    made = store.part(".json")
    kind = READ_IN_SANDBOX[mime_type]
    try:
        if kind == "pdf":
            sandbox.run("pdftext", store.normalised(sha256) or original, made)
        else:
            sandbox.run(kind, original, made)
        if made.stat().st_size == 0:
            return FileText("", problem="its text could not be read")
        text = _kept(made)
        store.put_text(sha256, made)
        return text
    except sandbox.ParseFailed as exc:
        return FileText("", problem=f"its text could not be read: {exc}")
    finally:
        made.unlink(missing_ok=True)


def text_of(store, sha256: str, mime_type: str) -> FileText | None:
    """The text of the stored file with this hash, or None for a type with no text we read
    (images). A file missing from the store, or changed since upload, has a `problem`."""
    if mime_type not in TEXT_BEARING:
        return None
    try:
        original = store.path(sha256)
    except Missing:
        return FileText("", problem="the file is missing from the evidence store",
                        unavailable=True)
    except Changed:
        return FileText("", problem="the file has changed in the store since it was uploaded",
                        unavailable=True)
    if mime_type in PLAIN:
        return _plain(original)
    kept = store.text_copy(sha256)
    if kept is not None:
        return _kept(kept)
    return _read_now(store, sha256, mime_type, original)
