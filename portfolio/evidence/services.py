"""Evidence and claims: the learner's side of the portfolio.

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
from ..models import Claim, Evidence, EvidenceFile, Portfolio, User, utcnow
from ..notify import link_to, notify
from ..spec import Unit
from ..storage import EvidenceStore, StagedFile, TooLarge
from ..uploads import display_name, inspect
from ..validators import FUTURE_DATE
from .ai_answer import ensure_ai_answered
from .versions import record_version, refresh_claims


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


def _resubmitted(evidence: Evidence, *, actor: User, note: str) -> None:
    """A judged item changed: its claims go back for assessment; tell the assessor."""
    portfolio = evidence.portfolio
    audit.record(AuditAction.EVIDENCE_RESUBMITTED, actor=actor, portfolio=portfolio,
                 summary=f"Resubmitted “{evidence.title}” as version {evidence.version}",
                 evidence_id=evidence.id, version=evidence.version, note=note)
    notify(portfolio.assessor,
           f"{portfolio.learner.name} revised and resubmitted “{evidence.title}” "
           f"(version {evidence.version}).",
           link=link_to("evidence.detail", evidence_id=evidence.id), portfolio=portfolio)


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


def _new_version(evidence: Evidence, *, actor: User, note: str = "") -> None:
    evidence.version += 1
    evidence.updated_at = utcnow()
    db.session.flush()
    record_version(evidence, actor=actor, note=note)
    if evidence.judged:
        _resubmitted(evidence, actor=actor, note=note)


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
        _new_version(evidence, actor=actor, note=note.strip())
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
    _new_version(evidence, actor=actor, note=f"Removed the file “{evidence_file.filename}”.")


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


def check_criteria(unit: Unit, notes: dict[str, str], missing: str) -> None:
    """Every criterion id is the unit's, and each has its note (`missing` names the gap)."""
    unknown = set(notes) - {c.id for c in unit.criteria}
    if unknown:
        raise DomainError(f"Unknown criteria: {', '.join(sorted(unknown))}.")
    for criterion_id, note in notes.items():
        if not note.strip():
            raise DomainError(missing.format(criterion_id))


def may_tag(evidence: Evidence, unit: Unit, user: User) -> bool:
    """The learner tags their own evidence and witnesses' testimonies, not assessors' records."""
    method = unit.methods.get(evidence.method)
    return evidence.author_id == user.id or (method is not None and method.author == "witness")


def fixed_claims(evidence: Evidence, user: User) -> dict[str, str]:
    """Claims `user` cannot remove: judged ones, and those someone else added."""
    return {c.criterion_id: c.rationale for c in evidence.claims
            if c.decisions or c.created_by_id != user.id}


def rewordable(evidence: Evidence, user: User) -> set[str]:
    """Judged claims whose wording the learner may still change: those on open evidence."""
    if evidence.locked_for_learner or evidence.author_id != user.id:
        return set()
    return {c.criterion_id for c in evidence.claims if c.decisions and c.created_by_id == user.id}


def _range_items(unit: Unit, ranges: dict[str, list[str]], criterion_id: str) -> list[str]:
    """The range items claimed for a criterion, checked against its range."""
    rng = unit.range_of(unit.criterion(criterion_id))
    items = sorted(set(ranges.get(criterion_id, [])))
    unknown = set(items) - (set(rng.items) if rng else set())
    if unknown:
        raise DomainError(f"AC {criterion_id} has no range item {', '.join(sorted(unknown))}.")
    return items


def set_claims(evidence: Evidence, unit: Unit, wanted: dict[str, str], *, actor: User,
               note: str = "", ranges: dict[str, list[str]] | None = None) -> dict:
    """Make the evidence's claims match `wanted` (criterion id -> rationale), and `ranges`
    (criterion id -> the range items this evidence covers, where the criterion has a range).

    Judged claims are never removed. Their wording can change only while the evidence is open
    to the learner (a referral), and that is a resubmission: a new version of the item.
    Claims the assessor added stay as they are. Returns what changed.
    """
    ensure_unlocked(evidence.portfolio)
    if not may_tag(evidence, unit, actor):
        raise Locked(f"This is {evidence.author_name}’s record: only they choose its criteria.")
    check_criteria(unit, wanted, "Say where and how this evidence meets AC {}.")
    ranges = ranges or {}
    items = {cid: _range_items(unit, ranges, cid) for cid in wanted}
    fixed = fixed_claims(evidence, actor)
    open_wording = rewordable(evidence, actor)
    existing = {c.criterion_id: c for c in evidence.claims}
    added, changed, removed, reworded = [], [], [], []
    for criterion_id, claim in existing.items():
        if criterion_id in fixed:
            if criterion_id not in wanted:
                raise Locked(f"The claim for AC {criterion_id} has been assessed or was added by "
                             "your assessor, so it cannot be removed.")
            if wanted[criterion_id] != claim.rationale:
                if criterion_id not in open_wording:
                    raise Locked(f"The claim for AC {criterion_id} has been assessed and cannot "
                                 "be reworded.")
                claim.rationale = wanted[criterion_id]
                reworded.append(criterion_id)
            if criterion_id in open_wording and items[criterion_id] != claim.range_items:
                claim.range_items = items[criterion_id]
                if criterion_id not in reworded:
                    reworded.append(criterion_id)
            continue  # a fixed claim's range items are not on the form: they stay
        if criterion_id not in wanted:
            evidence.claims.remove(claim)
            removed.append(criterion_id)
        elif (wanted[criterion_id], items[criterion_id]) != (claim.rationale,
                                                            claim.range_items):
            claim.rationale = wanted[criterion_id]
            claim.range_items = items[criterion_id]
            changed.append(criterion_id)
    for criterion_id, rationale in wanted.items():
        if criterion_id not in existing:
            claim = Claim(criterion_id=criterion_id, rationale=rationale, created_by_id=actor.id)
            claim.range_items = items[criterion_id]
            evidence.claims.append(claim)
            added.append(criterion_id)
    if added or changed or reworded:  # removing a claim puts nothing forward
        ensure_ai_answered(evidence, unit)
    result = {"added": sorted(added), "changed": sorted(changed + reworded),
              "removed": sorted(removed)}
    if any(result.values()):
        db.session.flush()
        audit.record(AuditAction.CLAIMS_CHANGED, actor=actor, portfolio=evidence.portfolio,
                     summary=f"Claims on “{evidence.title}”: "
                             + "; ".join(f"{k} {', '.join(v)}" for k, v in result.items() if v),
                     evidence_id=evidence.id, **result)
    if reworded:
        # The assessor judged the old wording: the item is resubmitted as a new version.
        _new_version(evidence, actor=actor, note=note.strip() or
                     "Reworded the claim for AC " + ", ".join(sorted(reworded)) + ".")
    elif any(result.values()):
        refresh_claims(evidence)
    if added and not reworded and actor.id == evidence.portfolio.learner_id:
        portfolio = evidence.portfolio
        notify(portfolio.assessor,
               f"{portfolio.learner.name} claimed AC {', '.join(sorted(added))} with "
               f"“{evidence.title}”.",
               link=link_to("evidence.detail", evidence_id=evidence.id), portfolio=portfolio)
    return result
