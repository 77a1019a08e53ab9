"""What erasing one portfolio would remove: every row, every file, and what stays.

The confirmation page shows this plan, and the erasure works from it (its counts go into the
anonymised record), so what the administrator was shown is what is removed. Evidence files
are stored once by hash (storage.py): a file whose bytes another portfolio also uses, now or
in an earlier version of its evidence, is kept."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, or_, select

from ..extensions import db
from ..keeping import kept_until, past_retention
from ..models import (
    AuditEvent,
    Claim,
    Decision,
    Evidence,
    EvidenceFile,
    EvidenceResponse,
    EvidenceVersion,
    ExportJob,
    Notification,
    Portfolio,
    Sample,
    WitnessRequest,
)
from ..models.quality import eqa_grant_portfolio
from .services import counts_for, enrolled_on

CHUNK = 50  # hashes looked for in one query of other portfolios' versions
SHA256 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class Plan:
    portfolio_id: int
    learner_id: int
    unit_id: str
    unit_version: str
    enrolled_on: date
    ended_on: date | None
    end_reason: str
    kept_until: date | None
    due: bool  # past retention today
    removed: dict[str, int]  # what goes, by kind, for the page and the anonymised record
    files: list[str] = field(default_factory=list)  # hashes whose bytes go from the store
    shared: list[str] = field(default_factory=list)  # hashes another portfolio also uses
    bytes: int = 0  # of the files that go
    audit_events: int = 0  # anonymised, kept
    other_portfolios: int = 0  # the learner's others: their account stays while there are

    @property
    def account_erased(self) -> bool:
        return self.other_portfolios == 0


def _count(query) -> int:
    return db.session.scalar(select(func.count()).select_from(query.subquery())) or 0


def _hashes_in(value, found: dict[str, int]) -> None:
    """The files an audit event's details name ({"sha256": ..., "size": ...} anywhere)."""
    if isinstance(value, list):
        for v in value:
            _hashes_in(v, found)
    elif isinstance(value, dict):
        sha256 = value.get("sha256")
        if isinstance(sha256, str) and SHA256.fullmatch(sha256):
            found.setdefault(sha256, int(value.get("size") or 0))
        for v in value.values():
            _hashes_in(v, found)


def file_sizes(portfolio_id: int) -> dict[str, int]:
    """Every hash of a file the portfolio has held, with its size: its evidence's files now
    and in earlier versions, and those its audit trail names (the files of evidence the
    learner deleted, whose bytes the store keeps)."""
    sizes = dict(db.session.execute(
        select(EvidenceFile.sha256, EvidenceFile.size).join(Evidence)
        .where(Evidence.portfolio_id == portfolio_id)).all())
    for content in db.session.scalars(select(EvidenceVersion.content_json).join(Evidence)
                                      .where(Evidence.portfolio_id == portfolio_id)):
        for f in json.loads(content).get("files", []):
            sizes.setdefault(f["sha256"], int(f.get("size") or 0))
    for detail in db.session.scalars(select(AuditEvent.detail_json).where(
            AuditEvent.portfolio_id == portfolio_id,
            AuditEvent.detail_json.contains("sha256"))):
        _hashes_in(json.loads(detail or "{}"), sizes)
    return sizes


def used_elsewhere(hashes: list[str], portfolio_id: int) -> set[str]:
    """The hashes among `hashes` that evidence of another portfolio names: a current file
    (by the indexed hash), or a file of an earlier version (its content is searched)."""
    if not hashes:
        return set()
    found = set(db.session.scalars(
        select(EvidenceFile.sha256).join(Evidence)
        .where(EvidenceFile.sha256.in_(hashes), Evidence.portfolio_id != portfolio_id)))
    rest = [h for h in hashes if h not in found]
    for start in range(0, len(rest), CHUNK):
        chunk = rest[start:start + CHUNK]
        for content in db.session.scalars(
                select(EvidenceVersion.content_json).join(Evidence)
                .where(Evidence.portfolio_id != portfolio_id,
                       or_(*[EvidenceVersion.content_json.contains(h) for h in chunk]))):
            found |= {f["sha256"] for f in json.loads(content).get("files", [])} & set(chunk)
    return found


def pack_jobs(portfolio_id: int) -> list[ExportJob]:
    """EQA sample packs that hold this portfolio's PDF (with others')."""
    candidates = db.session.scalars(select(ExportJob).where(
        ExportJob.kind == "pack", ExportJob.portfolio_ids.contains(str(portfolio_id))))
    return [j for j in candidates if portfolio_id in j.pack_ids]


def plan_for(portfolio: Portfolio, *, today: date, years: int) -> Plan:
    """The whole of what erasing `portfolio` today would do."""
    pid = portfolio.id
    evidence = select(Evidence.id).where(Evidence.portfolio_id == pid)
    claims = select(Claim.id).where(Claim.evidence_id.in_(evidence))
    basic = counts_for([pid])[pid]
    sizes = file_sizes(pid)
    shared = used_elsewhere(sorted(sizes), pid)
    going = sorted(h for h in sizes if h not in shared)
    removed = {
        "evidence": basic.evidence,
        "assessor_records": _count(select(Evidence.id).where(
            Evidence.portfolio_id == pid, Evidence.author_id.is_not(None),
            Evidence.author_id != portfolio.learner_id)),
        "versions": _count(select(EvidenceVersion.id).where(
            EvidenceVersion.evidence_id.in_(evidence))),
        "claims": _count(claims),
        "decisions": _count(select(Decision.id).where(Decision.claim_id.in_(claims))),
        "answers_to_records": _count(select(EvidenceResponse.id).where(
            EvidenceResponse.evidence_id.in_(evidence))),
        "witness_requests": _count(select(WitnessRequest.id).where(
            WitnessRequest.portfolio_id == pid)),
        "signatures": basic.signatures,
        "samples": _count(select(Sample.id).where(Sample.portfolio_id == pid)),
        "exports": _count(select(ExportJob.id).where(ExportJob.portfolio_id == pid)),
        "sample_packs": len(pack_jobs(pid)),
        "notifications": _count(select(Notification.id).where(
            Notification.portfolio_id == pid)),
        "eqa_grants": _count(select(eqa_grant_portfolio.c.grant_id).where(
            eqa_grant_portfolio.c.portfolio_id == pid)),
        "files": len(going),
    }
    return Plan(
        portfolio_id=pid, learner_id=portfolio.learner_id, unit_id=portfolio.unit_id,
        unit_version=portfolio.unit_version, enrolled_on=enrolled_on(portfolio),
        ended_on=portfolio.ended_on, end_reason=portfolio.end_reason,
        kept_until=kept_until(portfolio.ended_on, years),
        due=past_retention(portfolio.ended_on, years, today), removed=removed, files=going,
        shared=sorted(shared), bytes=sum(sizes[h] for h in going),
        audit_events=_count(select(AuditEvent.id).where(AuditEvent.portfolio_id == pid)),
        other_portfolios=_count(select(Portfolio.id).where(
            Portfolio.learner_id == portfolio.learner_id, Portfolio.id != pid)))


# What each count in Plan.removed is, in words: (one, many).
WORDS = {
    "evidence": ("evidence item", "evidence items"),
    "assessor_records": ("of them an assessor's record", "of them assessor's records"),
    "versions": ("saved version of evidence", "saved versions of evidence"),
    "claims": ("claim", "claims"),
    "decisions": ("assessment decision", "assessment decisions"),
    "answers_to_records": ("answer to an assessor's record", "answers to assessor's records"),
    "witness_requests": ("witness request (with any testimony)",
                         "witness requests (with their testimonies)"),
    "signatures": ("signature", "signatures (the assessor's and IQA's too)"),
    "samples": ("IQA sample record", "IQA sample records"),
    "exports": ("exported PDF", "exported PDFs"),
    "sample_packs": ("EQA sample pack that holds it", "EQA sample packs that hold it"),
    "notifications": ("inbox notice", "inbox notices"),
    "eqa_grants": ("EQA grant naming it (the grant stays, without it)",
                   "EQA grants naming it (the grants stay, without it)"),
    "files": ("file from the evidence store", "files from the evidence store"),
}


def in_words(removed: dict[str, int]) -> list[str]:
    """Each non-zero count of a plan, as the confirmation page lists it."""
    return [f"{n} {WORDS[kind][0 if n == 1 else 1]}" for kind, n in removed.items() if n]
