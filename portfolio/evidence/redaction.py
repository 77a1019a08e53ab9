"""Redacting personal data from the learner's evidence: a new version, audited, with each
chosen finding replaced by a placeholder ("[customer’s name]").

Learner-written text is changed in place. A text-bearing file (an email, a text or CSV
file, a Word document, a PDF) is replaced in the new version by its redacted copy: the text
we read from it, with the replacements, stored by hash like every file ("<name>
(redacted).txt"). The original is not kept unless the centre's policy says so
(REDACTION_KEEPS_ORIGINAL):

- not kept: earlier versions of the item keep their entry for the file, marked removed at
  redaction (they can no longer open it), and the redacted words are replaced in their text
  too, in the item's audit events and in the notices about it; after the commit the
  original's bytes leave the store, unless anything else still names them (another item,
  another version, another portfolio: the same bytes are stored once).
- kept: everything earlier stays as it was, for staff only (the learner sees that it is
  kept, not what it was).

The choice that applied is in the audit event and on the new version, so the evidence page
can say which.
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass

from sqlalchemy import select

from .. import audit
from ..audit import AuditAction
from ..errors import DomainError
from ..extensions import db
from ..models import AuditEvent, Evidence, EvidenceFile, EvidenceVersion, Notification, User
from ..personal_data import Finding, redact, summary
from ..retention.plan import used_elsewhere
from ..uploads import CSV, TEXT
from .personal import FIELDS, left_key, scan
from .services import StaleEdit, ensure_editable, is_version
from .versions import find_version, new_version

TITLE_LIMIT = 200


@dataclass(frozen=True)
class Redacted:
    version: int
    summary: str
    kept: bool
    files: list[dict]  # {"from": name, "to": name} for each file replaced
    remove: list[str]  # originals' hashes to take out of the store once committed


def redacted_name(filename: str, mime_type: str) -> str:
    """"thread.eml" -> "thread (redacted).txt" (a CSV stays a CSV)."""
    stem = filename.rsplit(".", 1)[0] if "." in filename[1:] else filename
    return f"{stem} (redacted).{'csv' if mime_type == CSV else 'txt'}"[:255]


def _swap(value, pairs: list[tuple[str, str]]):
    """Every chosen text (as a whole word: "Jo" is not in "Jones") replaced by its
    placeholder, anywhere in plain data."""
    if isinstance(value, str):
        for text, placeholder in pairs:
            value = re.sub(rf"(?<![\w@.-]){re.escape(text)}(?![\w@-])",
                           placeholder.replace("\\", "\\\\"), value)
        return value
    if isinstance(value, list):
        return [_swap(v, pairs) for v in value]
    if isinstance(value, dict):
        return {k: _swap(v, pairs) for k, v in value.items()}
    return value


def _forget_history(evidence: Evidence, pairs: list[tuple[str, str]], originals: set[str],
                    number: int, kept: bool) -> None:
    """Earlier versions: the originals marked as redacted at version `number` (and removed,
    unless kept); without the policy to keep, the redacted words gone from their text, and
    from the item's audit events and notices."""
    for version in evidence.versions:
        content = version.content
        for entry in content.get("files", []):
            if entry["sha256"] in originals:
                entry["redacted_in"] = number
                entry["kept"] = kept
        if not kept:
            for field in FIELDS:
                content[field] = _swap(content.get(field) or "", pairs)
        version.content_json = json.dumps(content, sort_keys=True)
    if kept or not pairs:
        return
    events = db.session.scalars(select(AuditEvent).where(
        AuditEvent.portfolio_id == evidence.portfolio_id,
        AuditEvent.detail_json.contains(f'"evidence_id": {evidence.id}')))
    for event in events:
        if event.detail.get("evidence_id") == evidence.id:
            event.summary = _swap(event.summary, pairs)
            event.detail_json = json.dumps(_swap(event.detail, pairs), default=str,
                                           sort_keys=True)
    for notice in db.session.scalars(select(Notification).where(
            Notification.portfolio_id == evidence.portfolio_id)):
        if notice.link.split("?")[0].rstrip("/").endswith(f"/evidence/{evidence.id}"):
            notice.message = _swap(notice.message, pairs)


def _copy(store, evidence_file: EvidenceFile, text: str, actor: User) -> EvidenceFile:
    data = text.encode("utf-8")
    staged = store.stage(io.BytesIO(data), len(data) + 1)
    store.commit(staged)
    mime = CSV if evidence_file.mime_type == CSV else TEXT
    return EvidenceFile(sha256=staged.sha256, filename=redacted_name(evidence_file.filename,
                                                                      evidence_file.mime_type),
                        mime_type=mime, size=staged.size, uploaded_by_id=actor.id)


def redact_evidence(evidence: Evidence, chosen: set[str], *, expected_version: int,
                    actor: User, store, known: set[str], keep_original: bool) -> Redacted:
    """Replace the chosen groups of personal data (personal.Group keys) by placeholders, as
    a new version of the item. Refused, changing nothing, if the item is not the actor's to
    change, changed since the page was opened, or a choice no longer matches it."""
    ensure_editable(evidence, actor)
    if not is_version(evidence, expected_version):
        raise StaleEdit("This evidence was changed (in another tab or by someone else) after "
                        "you opened the page, so nothing was redacted. Look at the personal "
                        "data found again and choose what to redact.")
    if not chosen:
        raise DomainError("Tick at least one piece of personal data to redact. Leave a box "
                          "unticked only where what was found is not personal data.")
    found = scan(evidence, store, known)
    groups = {g.key: g for g in found.groups}
    if chosen - groups.keys():
        raise DomainError("What was found on this evidence has changed since the page was "
                          "opened, so nothing was redacted. Look at the list again and choose.")
    picked: dict[str, list[Finding]] = {}
    for key in chosen:
        picked.setdefault(groups[key].source, []).extend(groups[key].findings)
    files = {f"file:{f.id}": f for f in evidence.files}
    for source in picked:
        if source in files and found.texts[source].cut:
            raise DomainError(f"“{files[source].filename}” is too long to redact here: only "
                              "its beginning was read. Remove the personal data in the "
                              "program it came from and attach the new copy instead.")
    changed = {}
    for field in FIELDS:
        if field in picked:
            changed[field] = redact(getattr(evidence, field) or "", picked[field])
    if len(changed.get("title", "")) > TITLE_LIMIT:
        raise DomainError("The title would be too long with the placeholders in it: shorten "
                          "the title first (Change), then redact.")
    number = evidence.version + 1
    replaced, originals = [], set()
    for source, findings in picked.items():
        if source in files:
            old = files[source]
            new = _copy(store, old, redact(found.texts[source].text, findings), actor)
            evidence.files.remove(old)
            evidence.files.append(new)
            replaced.append({"from": old.filename, "from_sha256": old.sha256,
                             "to": new.filename, "to_sha256": new.sha256})
            originals.add(old.sha256)
    for field, value in changed.items():
        setattr(evidence, field, value)
    pairs = sorted({(groups[k].text, groups[k].placeholder) for k in chosen},
                   key=lambda p: -len(p[0]))
    _forget_history(evidence, pairs, originals, number, keep_original)
    # Each different thing once, wherever it was and however often (as the page counts).
    distinct = {(groups[k].kind, groups[k].text.casefold()): groups[k].findings[0]
                for k in chosen}
    kinds: dict[str, int] = {}
    for kind, _ in distinct:
        kinds[kind] = kinds.get(kind, 0) + 1
    words = summary(distinct.values())
    audit.record(AuditAction.EVIDENCE_REDACTED, actor=actor, portfolio=evidence.portfolio,
                 summary=f"Redacted {words} from “{evidence.title}”", evidence_id=evidence.id,
                 version=number, kinds=kinds, fields=sorted(changed), files=replaced,
                 original_kept=keep_original)
    kept_words = ("The original is kept for staff only." if keep_original
                  else "The original was not kept.")
    db.session.flush()
    new_version(evidence, actor=actor, note=f"Redacted personal data: {words}. {kept_words}")
    current = find_version(evidence, evidence.version)
    content = current.content
    left = sorted({left_key(g) for g in groups.values() if g.key not in chosen})
    content["redaction"] = {"summary": words, "kept": keep_original, "files": replaced,
                            "left": left}
    current.content_json = json.dumps(content, sort_keys=True)
    gone = [] if keep_original else sorted(originals)
    return Redacted(evidence.version, words, keep_original, replaced, gone)


def still_named(sha256: str, evidence: Evidence) -> bool:
    """Does any record still name these bytes, apart from this item's versions that mark
    them removed at redaction? Another portfolio (the retention rule's own check), another
    item of this one, any current file."""
    if used_elsewhere([sha256], evidence.portfolio_id):
        return True
    if db.session.scalar(select(EvidenceFile.id).where(EvidenceFile.sha256 == sha256).limit(1)):
        return True
    for content in db.session.scalars(
            select(EvidenceVersion.content_json).join(Evidence)
            .where(Evidence.portfolio_id == evidence.portfolio_id,
                   EvidenceVersion.content_json.contains(sha256))):
        if any(f["sha256"] == sha256 and not (f.get("redacted_in") and not f.get("kept"))
               for f in json.loads(content).get("files", [])):
            return True
    return False


def remove_originals(store, redacted: Redacted, evidence: Evidence, log) -> list[str]:
    """After the commit (a failed redaction loses no file): each original nothing else names
    leaves the store with its copies. Returns the hashes removed; a failure is logged (only
    a file left behind, which `flask store verify` does not count as missing)."""
    gone = []
    for sha256 in redacted.remove:
        if still_named(sha256, evidence):
            continue
        try:
            store.erase(sha256)
            gone.append(sha256)
        except Exception:  # the store is down: the record is right, a file is left over
            log.exception("redaction of evidence %s: original %s not removed", evidence.id,
                          sha256)
    return gone
