"""Evidence: the learner's side of the portfolio (their claims on it: claims.py).

Services take the acting user as an argument, flush, and leave the commit to the caller.
Every change writes an audit event in the same transaction.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import BinaryIO

from sqlalchemy import select, update

from .. import audit
from ..access import ensure_unlocked
from ..ai_use import AiUse
from ..audit import AuditAction
from ..errors import DomainError, InvalidUpload, Locked
from ..extensions import db
from ..models import Evidence, EvidenceFile, Portfolio, User
from ..spec import Unit
from ..storage import EvidenceStore, StagedFile, TooLarge
from ..uploads import display_name, inspect
from ..validators import FUTURE_DATE
from .claims import (  # noqa: F401  (claims.py is their home; imported from here too)
    check_criteria,
    fixed_claims,
    may_tag,
    rewordable,
    set_claims,
)
from .versions import new_version, record_version


class StaleEdit(DomainError):
    """The evidence changed after the form was opened."""


@dataclass(frozen=True)
class EvidenceFields:
    title: str
    method: str
    dated: date
    context: str
    account_md: str
    # The learner's statement of AI use. None on a change leaves the item's answer as it is.
    ai_use: AiUse | None = None


@dataclass(frozen=True)
class Upload:
    stream: BinaryIO
    filename: str


@dataclass(frozen=True)
class CheckedFile:
    staged: StagedFile
    filename: str
    mime_type: str


def check_uploads(store: EvidenceStore, uploads: list[Upload], max_bytes: int) -> list[CheckedFile]:
    """Stage and check every upload; if one fails, none is kept and InvalidUpload says why."""
    checked: list[CheckedFile] = []
    try:
        for upload in uploads:
            name = display_name(upload.filename)
            try:
                staged = store.stage(upload.stream, max_bytes)
            except TooLarge:
                raise InvalidUpload(
                    f"“{name}” is larger than the {max_bytes // (1024 * 1024)} MB limit for one "
                    "file. Reduce it (for example save a PDF at a smaller size, or split it) "
                    "and attach it again.") from None
            normalised = staged.path.with_name(staged.path.name + ".normalised.pdf")
            text = staged.path.with_name(staged.path.name + ".text.json")
            try:
                mime = inspect(staged.path, name, normalised, text)
            except BaseException:  # refused, or a checker that crashed: nothing stays behind
                store.discard(staged.with_normalised(normalised).with_text(text))
                raise
            checked.append(CheckedFile(staged.with_normalised(normalised).with_text(text),
                                       name, mime))
    except BaseException:
        for item in checked:
            store.discard(item.staged)
        raise
    return checked


@contextmanager
def _owning(store: EvidenceStore, files: list[CheckedFile]) -> Iterator[None]:
    """A service that refuses an action discards the staged files it was handed."""
    try:
        yield
    except BaseException:
        for item in files:
            store.discard(item.staged)
        raise


def _validate(unit: Unit, fields: EvidenceFields, today: date) -> None:
    method = unit.methods.get(fields.method)
    if method is None or method.author != "learner":
        raise DomainError("Choose one of the evidence methods you can add yourself.")
    if fields.dated > today:
        raise DomainError(FUTURE_DATE)
    if fields.ai_use is not None and fields.ai_use.problems():
        raise DomainError(" ".join(fields.ai_use.problems()))


def _attach(evidence: Evidence, files: list[CheckedFile], *, actor: User,
            store: EvidenceStore) -> None:
    for item in files:
        store.commit(item.staged)
        evidence.files.append(EvidenceFile(sha256=item.staged.sha256, filename=item.filename,
                                           mime_type=item.mime_type, size=item.staged.size,
                                           uploaded_by_id=actor.id))


def _file_summary(files: list[CheckedFile]) -> list[dict]:
    return [{"name": f.filename, "sha256": f.staged.sha256, "size": f.staged.size,
             "type": f.mime_type} for f in files]


def find_submission(submission_key: str) -> Evidence | None:
    return db.session.scalar(select(Evidence).where(Evidence.submission_key == submission_key))


def add_evidence(portfolio: Portfolio, unit: Unit, fields: EvidenceFields,
                 files: list[CheckedFile], *, actor: User, store: EvidenceStore,
                 submission_key: str | None, today: date) -> Evidence:
    """Create an evidence item with its checked files."""
    with _owning(store, files):
        ensure_unlocked(portfolio)
        _validate(unit, fields, today)
        if not fields.account_md.strip() and not files:
            raise DomainError("Write an account or attach at least one file: evidence needs "
                              "content.")
        evidence = Evidence(portfolio=portfolio, title=fields.title, method=fields.method,
                            dated=fields.dated, context=fields.context,
                            account_md=fields.account_md, author_id=actor.id,
                            submission_key=submission_key)
        evidence.ai_use = fields.ai_use
        db.session.add(evidence)
        _attach(evidence, files, actor=actor, store=store)
        db.session.flush()
        record_version(evidence, actor=actor)
        audit.record(AuditAction.EVIDENCE_ADDED, actor=actor, portfolio=portfolio,
                     summary=f"Added evidence “{evidence.title}”", evidence_id=evidence.id,
                     method=evidence.method, dated=evidence.dated, files=_file_summary(files),
                     ai_use=evidence.ai_use.state() if evidence.ai_use else None)
        return evidence


def ensure_editable(evidence: Evidence, actor: User, *, claim: bool = True) -> None:
    """The learner may change their own evidence until it is accepted.

    Unjudged evidence is open; referred evidence is open for a revision; evidence whose current
    version has decisions and no referral is fixed. Assessors' records and witnesses'
    testimonies are never the learner's to change.
    """
    ensure_unlocked(evidence.portfolio, claim=claim)  # claim=False: a page's check only
    if evidence.author_id != actor.id:
        raise Locked(f"This evidence was written by {evidence.author_name}, so only they can "
                     "change it. You can confirm it or dispute it instead.")
    if evidence.locked_for_learner:
        raise Locked("This evidence has been assessed and nothing on it is referred, so it can "
                     "no longer be changed. You can still tag it to more criteria, or add new "
                     "evidence.")


def is_version(evidence: Evidence, expected: int) -> bool:
    """Is the item still at the version the form was opened on, in the database itself?

    A conditional update, so it also holds the item's row until the transaction ends: of two
    tabs saving at the same instant, the second waits, then sees the first's version and is
    refused (the stale-form page, with its text), never a clash of version numbers."""
    if expected != evidence.version:
        return False
    held = db.session.execute(
        update(Evidence).where(Evidence.id == evidence.id, Evidence.version == expected)
        .values(version=expected).execution_options(synchronize_session=False)).rowcount
    return held == 1


def update_evidence(evidence: Evidence, unit: Unit, fields: EvidenceFields,
                    files: list[CheckedFile], *, expected_version: int, actor: User,
                    store: EvidenceStore, today: date, note: str = "",
                    remove: frozenset[int] = frozenset()) -> bool:
    """Change the learner's evidence; refuse if someone saved it since the form opened.

    `remove` names attached files (by id) to take off in the same save, so removing a file
    never throws away what was typed. Every saved change is a new version, kept. A change to
    judged (referred) evidence is a resubmission: every claim on it goes back for
    assessment. Returns whether anything changed.
    """
    with _owning(store, files):
        ensure_editable(evidence, actor)
        if not is_version(evidence, expected_version):
            raise StaleEdit("This evidence was changed (in another tab or by someone else) after "
                            "you opened the form. Your text is below: copy what you need, reload, "
                            "and apply it again.")
        _validate(unit, fields, today)
        removed = [f for f in evidence.files if f.id in remove]
        if not fields.account_md.strip() and not files and len(evidence.files) == len(removed):
            raise DomainError("Write an account or attach at least one file: evidence needs "
                              "content.")
        before = {"title": evidence.title, "method": evidence.method, "dated": evidence.dated,
                  "context": evidence.context, "account_md": evidence.account_md,
                  "ai_use": evidence.ai_use}
        after = {"title": fields.title, "method": fields.method, "dated": fields.dated,
                 "context": fields.context, "account_md": fields.account_md,
                 "ai_use": fields.ai_use if fields.ai_use is not None else evidence.ai_use}
        changed = {k: {"before": before[k], "after": after[k]}
                   for k in before if before[k] != after[k]}
        if not changed and not files and not removed:
            return False
        for key, value in after.items():
            setattr(evidence, key, value)
        if "ai_use" in changed:  # the audit event holds plain data
            changed["ai_use"] = {k: v.state() if v else None
                                 for k, v in changed["ai_use"].items()}
        for evidence_file in removed:  # the bytes stay in the store: history may use them
            evidence.files.remove(evidence_file)
        _attach(evidence, files, actor=actor, store=store)
        audit.record(AuditAction.EVIDENCE_CHANGED, actor=actor, portfolio=evidence.portfolio,
                     summary=f"Changed evidence “{evidence.title}”", evidence_id=evidence.id,
                     changed=changed, files_added=_file_summary(files),
                     files_removed=[{"name": f.filename, "sha256": f.sha256} for f in removed],
                     version=evidence.version + 1)
        new_version(evidence, actor=actor, note=note.strip())
        return True


def remove_file(evidence_file: EvidenceFile, *, actor: User) -> None:
    """Detach a file. The bytes stay in the store: another item (or history) may use them."""
    evidence = evidence_file.evidence
    ensure_editable(evidence, actor)
    if not evidence.account_md.strip() and len(evidence.files) == 1:
        raise DomainError("This is the only content of the evidence: add an account or another "
                          "file first, or delete the evidence instead.")
    evidence.files.remove(evidence_file)
    audit.record(AuditAction.EVIDENCE_FILE_REMOVED, actor=actor, portfolio=evidence.portfolio,
                 summary=f"Removed “{evidence_file.filename}” from “{evidence.title}”",
                 evidence_id=evidence.id, sha256=evidence_file.sha256,
                 version=evidence.version + 1)
    new_version(evidence, actor=actor, note=f"Removed the file “{evidence_file.filename}”.")


def delete_evidence(evidence: Evidence, *, actor: User) -> None:
    """Delete evidence nobody has judged yet (a judged item's history is kept for good)."""
    ensure_editable(evidence, actor)
    if evidence.judged:
        raise Locked("This evidence has been assessed, so it is kept with its decisions. "
                     "Revise it instead, or add new evidence.")
    portfolio = evidence.portfolio
    audit.record(AuditAction.EVIDENCE_DELETED, actor=actor, portfolio=portfolio,
                 summary=f"Deleted evidence “{evidence.title}”", evidence_id=evidence.id,
                 title=evidence.title, method=evidence.method,
                 claims=[c.criterion_id for c in evidence.claims],
                 files=[{"name": f.filename, "sha256": f.sha256} for f in evidence.files])
    db.session.delete(evidence)
    db.session.flush()
