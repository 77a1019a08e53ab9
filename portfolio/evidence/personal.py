"""The personal data in one evidence item: its learner-written text (title, workplace
context, account) and the text of its files (file_text.py), read by personal_data.find.

Findings of the same thing in the same place are one group ("Mr Hughes", three times in the
account): one box to tick on the page, one choice in the redaction. A group's key is a hash
of where it is, what kind and its text, so the form names a group without echoing the data,
and a key that no longer matches anything (the item changed) is refused, not guessed at.

The evidence page shows what is found on every view, so a scan is kept (by the app, in this process,
the SCANS_KEPT most recent) under a fingerprint of everything it depends on: the item's id,
version, title, context and account, each file's id, hash and type, and the names never
flagged. Any change to one of them is a new fingerprint, so a kept scan is never stale; a scan
that could not read a file from the store is not kept (the store may be back next time).
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select

from ..extensions import db
from ..file_text import FileText, text_of
from ..models import Evidence, Portfolio, Role, User
from ..personal_data import Finding, context, find, summary

FIELDS = {"title": "the title", "context": "the workplace context", "account_md": "the account"}


@dataclass(frozen=True)
class Place:
    """One occurrence, in the words around it."""

    before: str
    found: str
    after: str


@dataclass(frozen=True)
class Group:
    key: str
    source: str  # a key of FIELDS, or "file:<EvidenceFile id>"
    where: str  # "the account", "“thread.eml”"
    kind: str
    label: str  # "a customer’s email address"
    text: str
    placeholder: str
    findings: tuple[Finding, ...]
    places: tuple[Place, ...]


@dataclass(frozen=True)
class Scan:
    groups: tuple[Group, ...] = ()
    summary: str = ""  # "2 email addresses, 1 phone number and 1 name (a customer’s)"
    unread: tuple[str, ...] = ()  # files whose text could not be read, and why
    cut: tuple[str, ...] = ()  # files only partly read (too long to redact here)
    texts: dict[str, FileText] | None = None  # each file source's text, as scanned

    def __bool__(self) -> bool:
        return bool(self.groups)


def known_ok(portfolio: Portfolio) -> set[str]:
    """Names and emails never flagged: the learner's own and every member of the centre's
    staff (their assessor and IQA among them)."""
    staff = db.session.execute(select(User.name, User.email).where(User.role != Role.LEARNER))
    learner = portfolio.learner
    return {learner.name, learner.email, *(v for row in staff for v in row)}


def group_key(source: str, kind: str, text: str) -> str:
    return hashlib.sha256(f"{source}\0{kind}\0{text}".encode()).hexdigest()[:16]


def left_key(group: Group) -> str:
    """What a redaction records of a finding the learner left as it is (not personal data,
    they said): the same thing anywhere in the item, as a hash, never the text."""
    return group_key("", group.kind, group.text.casefold())


def _groups(source: str, where: str, text: str, known: set[str]) -> list[Group]:
    found: dict[tuple[str, str], list[Finding]] = {}
    for f in find(text, known):
        found.setdefault((f.kind, f.text), []).append(f)
    return [Group(group_key(source, kind, value), source, where, kind, items[0].label, value,
                  items[0].placeholder, tuple(items),
                  tuple(Place(*context(text, f)) for f in items[:3]))
            for (kind, value), items in found.items()]


SCANS_KEPT = 256
# And at most this many characters of file text among them: ten files of 200,000 characters
# each make one scan 2,000,000, so 256 such scans would hold half a gigabyte in a worker.
SCAN_CHARS_KEPT = 8_000_000


def _size(found: Scan) -> int:
    return sum(len(t.text) for t in (found.texts or {}).values())


class _Kept:
    """The app's most recent scans, by fingerprint (one per app: tests' apps never share),
    at most SCANS_KEPT of them holding at most SCAN_CHARS_KEPT characters of file text."""

    def __init__(self) -> None:
        self.scans: OrderedDict[str, Scan] = OrderedDict()
        self.chars = 0
        self.lock = threading.Lock()

    def get(self, key: str) -> Scan | None:
        with self.lock:
            found = self.scans.get(key)
            if found is not None:
                self.scans.move_to_end(key)
            return found

    def put(self, key: str, found: Scan) -> None:
        if _size(found) > SCAN_CHARS_KEPT:
            return  # read again next time rather than crowd out everything else
        with self.lock:
            if key in self.scans:
                self.chars -= _size(self.scans.pop(key))
            self.scans[key] = found
            self.chars += _size(found)
            while len(self.scans) > SCANS_KEPT or self.chars > SCAN_CHARS_KEPT:
                self.chars -= _size(self.scans.popitem(last=False)[1])


def _kept() -> _Kept:
    return current_app.extensions.setdefault("personal_scans", _Kept())


def fingerprint(evidence: Evidence, known: set[str]) -> str:
    """What a scan of this item depends on, hashed (nothing of it is read from the store)."""
    h = hashlib.sha256()
    for part in (evidence.id, evidence.version, *(getattr(evidence, f) or "" for f in FIELDS),
                 *(f"{f.id}:{f.sha256}:{f.mime_type}" for f in evidence.files),
                 "\0known", *sorted(known)):
        h.update(f"{part}".encode() + b"\0")
    return h.hexdigest()


def scan(evidence: Evidence, store, known: set[str]) -> Scan:
    """Everything personal found in the item as it stands now (kept: see above)."""
    key, kept = fingerprint(evidence, known), _kept()
    found = kept.get(key)
    if found is None:
        found, complete = _scan(evidence, store, known)
        if complete:
            kept.put(key, found)
    return found


def _scan(evidence: Evidence, store, known: set[str]) -> tuple[Scan, bool]:
    """The scan itself, and whether every file could be had from the store."""
    groups: list[Group] = []
    complete = True
    for field, where in FIELDS.items():
        groups += _groups(field, where, getattr(evidence, field) or "", known)
    unread, cut, texts = [], [], {}
    for f in evidence.files:
        read = text_of(store, f.sha256, f.mime_type)
        if read is None:
            continue
        if read.problem:
            unread.append(f"“{f.filename}”: {read.problem}")
            complete = complete and not read.unavailable
            continue
        if read.cut:
            cut.append(f.filename)
        texts[f"file:{f.id}"] = read
        groups += _groups(f"file:{f.id}", f"“{f.filename}”", read.text, known)
    # The summary counts each different thing once, wherever and however often it appears.
    distinct = {(g.kind, g.text.casefold()): g.findings[0] for g in groups}
    return Scan(tuple(groups), summary(distinct.values()), tuple(unread), tuple(cut),
                texts), complete
