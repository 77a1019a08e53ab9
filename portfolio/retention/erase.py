"""Erasing a portfolio once its retention period has passed, with an administrator's
confirmation: never automatically, never before the day after it is kept until.

Every row that belongs to the portfolio goes (PORTFOLIO_TABLES says how each table is
treated; tests/test_retention.py fails when a table that refers to a portfolio is not in
it), then, after the commit, its files: an evidence file only when no other portfolio names
the same bytes, the exports and every EQA sample pack that holds the portfolio. The audit
trail keeps every event, anonymised (anonymise.py), and one anonymised record that the
portfolio existed and was erased: the unit, months, counts, who and when, and no name or
email. The learner's account goes too when they have no other portfolio.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import date, timedelta

from flask import current_app
from sqlalchemy import delete, or_, select, text, update

from .. import audit
from ..audit import AuditAction
from ..errors import DomainError, NotAllowed
from ..extensions import db
from ..keeping import EndReason, month
from ..models import (
    Claim,
    Decision,
    Evidence,
    EvidenceFile,
    EvidenceResponse,
    EvidenceVersion,
    ExportJob,
    Notification,
    Portfolio,
    PortfolioSummary,
    Role,
    Sample,
    SampleAction,
    SampleCheck,
    Signature,
    StagedImport,
    SuggestionDismissal,
    User,
    WitnessRequest,
    utcnow,
)
from ..models.quality import eqa_grant_portfolio
from ..units import all_units
from .anonymise import anonymise_trail, erase_account
from .plan import Plan, in_words, pack_jobs, plan_for, used_elsewhere
from .services import day

log = logging.getLogger(__name__)

# Every table holding a portfolio's rows (by a foreign key, directly or through another, or
# a portfolio_id column), and what erasing the portfolio does to it.
PORTFOLIO_TABLES = {
    "portfolio": "deleted; its number is never given to another portfolio",
    "evidence": "deleted",
    "evidence_file": "deleted; the file leaves the store unless another portfolio has it",
    "evidence_version": "deleted, with its earlier versions' files on the same rule",
    "evidence_response": "deleted (the learner's answers to assessor records)",
    "claim": "deleted",
    "suggestion_dismissal": "deleted (the suggested criteria the learner set aside)",
    "decision": "deleted",
    "witness_request": "deleted, with the witness's name, email and statement",
    "signature": "deleted, the assessor's and IQA's too (their accounts stay)",
    "sample": "deleted", "sample_check": "deleted", "sample_action": "deleted",
    "export_job": "deleted with its PDF, and every EQA sample pack holding the portfolio",
    "notification": "deleted",
    "eqa_grant_portfolio": "deleted: the EQA grant no longer names the portfolio",
    "portfolio_summary": "deleted",
    "audit_event": "kept, anonymised, with one anonymised record of the erasure",
}


@dataclass(frozen=True)
class Erased:
    tombstone_id: int
    plan: Plan
    account: str  # "deleted", "anonymised", or "kept" (the learner has another portfolio)
    export_keys: list[str] = field(default_factory=list)


def same_name(typed: str | None, name: str) -> bool:
    """The typed confirmation matches the learner's name (case and spaces aside)."""
    return " ".join((typed or "").split()).casefold() == " ".join(name.split()).casefold()


def refusal(plan: Plan) -> str | None:
    """Why this portfolio may not be erased today, or None."""
    if plan.ended_on is None:
        return ("No end of the learner's programme is recorded, so its records are kept: "
                "record the end first. They can be erased once the retention period after "
                "it has passed.")
    if not plan.due:
        return (f"These records must be kept until {day(plan.kept_until)}; they can be "
                f"erased from {day(plan.kept_until + timedelta(days=1))}, not before.")
    return None


def _forget_imports(learner: User) -> None:
    """CSV imports keep the rows they read (names, emails) only for their preview: those
    that are done or expired go, and any still waiting that names the learner."""
    email = json.dumps(learner.email)[1:-1]  # as it is written inside the JSON
    db.session.execute(delete(StagedImport).where(or_(
        StagedImport.imported_at.is_not(None), StagedImport.expires_at < utcnow(),
        StagedImport.content_json.contains(email), StagedImport.result_json.contains(email)))
        .execution_options(synchronize_session=False))


def erase(portfolio: Portfolio, *, actor: User, typed_name: str, today: date,
          years: int) -> Erased:
    """Erase the portfolio's personal data (the caller commits, then calls remove_files)."""
    if actor.role != Role.ADMIN:
        raise NotAllowed("Only an administrator erases records.")
    plan = plan_for(portfolio, today=today, years=years)
    if (why := refusal(plan)) is not None:
        raise DomainError(why)
    learner = portfolio.learner
    if not same_name(typed_name, learner.name):
        raise DomainError("The name typed is not the learner's: type their full name as "
                          "shown above to confirm which records go.")
    pid = portfolio.id
    # Hold the row: a change to the portfolio at the same moment waits for this transaction,
    # then finds no portfolio; a second erasure finds nothing to erase.
    if db.session.execute(update(Portfolio).where(Portfolio.id == pid).values(
            lock_version=Portfolio.lock_version + 1)
            .execution_options(synchronize_session=False)).rowcount != 1:
        raise DomainError("These records have already been erased.")
    if db.engine.dialect.name == "sqlite":
        # Deleted rows are overwritten with zeros in the file, not just marked free.
        db.session.execute(text("PRAGMA secure_delete = ON"))
    export_keys = _export_keys(pid)
    tombstone = audit.record(AuditAction.PORTFOLIO_ERASED, actor=actor, portfolio_id=pid)
    db.session.flush()
    _delete_rows(pid)
    _forget_imports(learner)
    events = anonymise_trail(pid, learner, account_erased=plan.account_erased,
                             tombstone_id=tombstone.id)
    account = (erase_account(learner, actor=actor, tombstone_id=tombstone.id)
               if plan.account_erased else "kept")
    _describe(tombstone, plan, events=events, account=account, years=years)
    db.session.flush()
    db.session.expire_all()
    return Erased(tombstone.id, plan, account, export_keys)


def _describe(tombstone, plan: Plan, *, events: int, account: str, years: int) -> None:
    """The anonymised record of the erasure: no name, no email, dates to the month."""
    unit = all_units().get(plan.unit_id)
    removed = ", ".join(in_words(plan.removed))
    tombstone.summary = (
        f"Erased the records of a portfolio on {unit.name if unit else plan.unit_id}, "
        f"enrolled {month(plan.enrolled_on)}, ended {month(plan.ended_on)} "
        f"({EndReason(plan.end_reason).label.lower()}), kept until {month(plan.kept_until)}: "
        f"removed {removed or 'nothing else'} ({plan.bytes:,} bytes of files); "
        f"{events} audit events anonymised; the learner's account "
        + {"kept": "kept (another portfolio)", "deleted": "deleted",
           "anonymised": "anonymised"}[account])
    tombstone.detail_json = json.dumps({
        "unit_id": plan.unit_id, "unit_version": plan.unit_version,
        "enrolled": month(plan.enrolled_on), "ended": month(plan.ended_on),
        "end_reason": plan.end_reason, "kept_until": month(plan.kept_until),
        "retention_years": years, "removed": plan.removed, "bytes": plan.bytes,
        "files_kept_shared": len(plan.shared), "audit_events_anonymised": events,
        "account": account}, sort_keys=True)


def _export_keys(pid: int) -> list[str]:
    from ..export.jobs import job_key

    jobs = [*db.session.scalars(select(ExportJob).where(ExportJob.portfolio_id == pid)),
            *pack_jobs(pid)]
    return sorted({job_key(j) for j in jobs if j.key or j.file_name})


def _delete_rows(pid: int) -> None:
    """Children before parents, so the foreign keys hold at every step (PostgreSQL)."""
    evidence = select(Evidence.id).where(Evidence.portfolio_id == pid)
    claims = select(Claim.id).where(Claim.evidence_id.in_(evidence))
    samples = select(Sample.id).where(Sample.portfolio_id == pid)
    packs = [j.id for j in pack_jobs(pid)]
    for statement in (
            delete(SampleCheck).where(SampleCheck.sample_id.in_(samples)),
            delete(SampleCheck).where(SampleCheck.decision_id.in_(
                select(Decision.id).where(Decision.claim_id.in_(claims)))),
            delete(SampleAction).where(SampleAction.sample_id.in_(samples)),
            delete(Sample).where(Sample.portfolio_id == pid),
            delete(Decision).where(Decision.claim_id.in_(claims)),
            delete(Claim).where(Claim.evidence_id.in_(evidence)),
            delete(SuggestionDismissal).where(SuggestionDismissal.evidence_id.in_(evidence)),
            delete(EvidenceResponse).where(EvidenceResponse.evidence_id.in_(evidence)),
            delete(EvidenceFile).where(EvidenceFile.evidence_id.in_(evidence)),
            delete(EvidenceVersion).where(EvidenceVersion.evidence_id.in_(evidence)),
            delete(WitnessRequest).where(WitnessRequest.portfolio_id == pid),
            delete(Evidence).where(Evidence.portfolio_id == pid),
            delete(Signature).where(Signature.portfolio_id == pid),
            delete(ExportJob).where(ExportJob.portfolio_id == pid),
            delete(ExportJob).where(ExportJob.id.in_(packs or [0])),
            delete(Notification).where(Notification.portfolio_id == pid),
            delete(eqa_grant_portfolio).where(eqa_grant_portfolio.c.portfolio_id == pid),
            delete(PortfolioSummary).where(PortfolioSummary.portfolio_id == pid),
            delete(Portfolio).where(Portfolio.id == pid)):
        db.session.execute(statement.execution_options(synchronize_session=False))


@dataclass
class FilesRemoved:
    files: int = 0  # evidence files gone from the store
    kept: int = 0  # shared with another portfolio after all (named since the plan)
    exports: int = 0
    failed: list[str] = field(default_factory=list)


def remove_files(erased: Erased) -> FilesRemoved:
    """After the commit (a failed erasure loses no file): the evidence files no record names
    any more, with their copies, and the exports. A failure is logged and reported; the rows
    are gone already, so what failed is only a file left behind."""
    from ..export.services import export_blobs

    store = current_app.extensions["evidence_store"]
    done = FilesRemoved()
    # Asked again now: bytes uploaded meanwhile by someone else must stay.
    named = used_elsewhere(erased.plan.files, erased.plan.portfolio_id)
    for sha256 in erased.plan.files:
        if sha256 in named:
            done.kept += 1
            continue
        try:
            done.files += 1 if store.erase(sha256) else 0
        except Exception as exc:  # the store is down: say so, keep going
            log.exception("erasure %s: evidence file %s not removed", erased.tombstone_id,
                          sha256)
            done.failed.append(f"evidence file {sha256[:12]}…: {exc}")
    blobs = export_blobs()
    keys = set(erased.export_keys)
    try:  # exports made from the command line have no job: found by their key's folder
        keys |= set(blobs.keys(f"portfolio-{erased.plan.portfolio_id}/"))
    except Exception as exc:
        log.exception("erasure %s: exports not listed", erased.tombstone_id)
        done.failed.append(f"the exports of portfolio {erased.plan.portfolio_id}: {exc}")
    for key in sorted(keys):
        try:
            if blobs.exists(key):
                blobs.delete(key)
                done.exports += 1
        except Exception as exc:
            log.exception("erasure %s: export %s not removed", erased.tombstone_id, key)
            done.failed.append(f"export {key}: {exc}")
    return done
