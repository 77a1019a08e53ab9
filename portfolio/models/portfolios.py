"""The portfolio and its evidence: files, saved versions, the learner's responses to
assessor records, and witness requests (the one-time links that bring in testimony)."""

from __future__ import annotations

import json
from datetime import date, datetime, time
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..ai_use import AiUse
from ..extensions import db
from ..keeping import EndReason
from .accounts import User
from .assessment import ClaimOutcome
from .base import UTCDateTime, utcnow

if TYPE_CHECKING:
    from .assessment import Claim, Decision
    from .signatures import Signature


class RecordResponse(StrEnum):
    """The learner's answer to an assessor's record of an observation or discussion."""

    CONFIRMED = "confirmed"
    DISPUTED = "disputed"


class Portfolio(db.Model):
    """One learner on one unit, with the assessor who judges it and the IQA who samples it."""

    __tablename__ = "portfolio"
    __table_args__ = (
        UniqueConstraint("learner_id", "unit_id", name="uq_portfolio_learner_unit"),
        CheckConstraint("assessor_id <> iqa_id", name="iqa_not_assessor"),
        CheckConstraint("learner_id <> assessor_id AND learner_id <> iqa_id",
                        name="learner_not_judge"),
        CheckConstraint("(ended_on IS NULL AND end_reason = '') OR (ended_on IS NOT NULL AND "
                        f"end_reason IN {tuple(r.value for r in EndReason)})",
                        name="end_has_reason"),
        # An erased portfolio's number is never given to another (SQLite would reuse the
        # highest): its anonymised audit trail and any signed PDF naming it stay its own.
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    learner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    unit_id: Mapped[str] = mapped_column(String(64))
    assessor_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    iqa_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set by the assessor's sign-off: nothing in the portfolio may change until reopened.
    locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Bumped, by a conditional UPDATE, by every change to the portfolio's contents and by
    # every signature (access.claim_portfolio): a sign-off whose digest was computed before a
    # concurrent change fails instead of locking what it did not see.
    lock_version: Mapped[int] = mapped_column(default=0, server_default="0")
    # The version (sha256 of the spec file's text) of the unit it is judged against.
    unit_version: Mapped[str] = mapped_column(String(64), default="", server_default="")
    # When the learner's programme ended and why (keeping.EndReason), as an administrator
    # records it: the records are kept RETENTION_YEARS after, then may be erased. None: not
    # ended, so never past retention.
    ended_on: Mapped[date | None]
    end_reason: Mapped[str] = mapped_column(String(20), default="", server_default="")

    learner: Mapped[User] = relationship(foreign_keys=[learner_id])
    assessor: Mapped[User] = relationship(foreign_keys=[assessor_id])
    iqa: Mapped[User] = relationship(foreign_keys=[iqa_id])
    evidence: Mapped[list[Evidence]] = relationship(
        back_populates="portfolio", cascade="all, delete-orphan",
        order_by="(Evidence.dated, Evidence.id)")
    signatures: Mapped[list[Signature]] = relationship(
        back_populates="portfolio", order_by="(Signature.signed_at, Signature.id)")

    @property
    def locked(self) -> bool:
        return self.locked_at is not None

    @property
    def end_reason_label(self) -> str:
        return EndReason(self.end_reason).label if self.end_reason else ""


class Evidence(db.Model):
    __tablename__ = "evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    portfolio_id: Mapped[int] = mapped_column(ForeignKey("portfolio.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    method: Mapped[str] = mapped_column(String(64))
    dated: Mapped[date]
    context: Mapped[str] = mapped_column(Text, default="")
    account_md: Mapped[str] = mapped_column(Text, default="")
    # Assessor records: where and when an observation or discussion took place, how long it
    # took, and (for a discussion) the questions asked. Empty for the learner's own evidence.
    place: Mapped[str] = mapped_column(String(200), default="", server_default="")
    start_time: Mapped[time | None]
    duration_minutes: Mapped[int | None]
    questions_md: Mapped[str] = mapped_column(Text, default="", server_default="")
    # The user who wrote it; none for a witness testimony, written through a one-time link by
    # someone without an account (see `witness`).
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    # Bumped on every saved change; each version's content is kept in EvidenceVersion. A form
    # opened before someone else's save is refused, not merged; a decision names the version
    # it judged, so a revised item goes back to "awaiting assessment".
    version: Mapped[int] = mapped_column(default=1)
    # The learner's statement of their use of AI tools (see portfolio.ai_use), part of the
    # item's content: None where they have not answered (items from before the question, and
    # items the learner does not write).
    ai_used: Mapped[bool | None]
    ai_tools: Mapped[str] = mapped_column(String(300), default="", server_default="")
    ai_purposes_json: Mapped[str] = mapped_column(Text, default="[]", server_default="[]")
    ai_other: Mapped[str] = mapped_column(String(300), default="", server_default="")
    # The add form's one-time key: a double-clicked submit creates one item, not two.
    submission_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    portfolio: Mapped[Portfolio] = relationship(back_populates="evidence")
    author: Mapped[User | None] = relationship()
    witness: Mapped[WitnessRequest | None] = relationship(back_populates="evidence",
                                                          uselist=False)
    files: Mapped[list[EvidenceFile]] = relationship(
        back_populates="evidence", cascade="all, delete-orphan", order_by="EvidenceFile.id")
    claims: Mapped[list[Claim]] = relationship(
        back_populates="evidence", cascade="all, delete-orphan", order_by="Claim.criterion_id")
    versions: Mapped[list[EvidenceVersion]] = relationship(
        back_populates="evidence", cascade="all, delete-orphan",
        order_by="EvidenceVersion.number")
    responses: Mapped[list[EvidenceResponse]] = relationship(
        back_populates="evidence", cascade="all, delete-orphan",
        order_by="(EvidenceResponse.created_at, EvidenceResponse.id)")

    @property
    def author_name(self) -> str:
        if self.author is not None:
            return self.author.name
        return self.witness.witness_name if self.witness else "unknown"

    @property
    def ai_use(self) -> AiUse | None:
        if self.ai_used is None:
            return None
        return AiUse(used=self.ai_used, tools=self.ai_tools or "",
                     purposes=tuple(json.loads(self.ai_purposes_json or "[]")),
                     other=self.ai_other or "")

    @ai_use.setter
    def ai_use(self, answer: AiUse | None) -> None:
        self.ai_used = None if answer is None else answer.used
        used = answer is not None and answer.used
        self.ai_tools = answer.tools.strip() if used else ""
        self.ai_purposes_json = json.dumps(sorted(set(answer.purposes)) if used else [])
        self.ai_other = answer.other.strip() if used and "other" in answer.purposes else ""

    @property
    def judged(self) -> bool:
        """Has any assessor decision (on any version)."""
        return any(c.decisions for c in self.claims)

    def decisions_on_current(self) -> list[Decision]:
        """Each claim's latest decision, where it judged the version as it stands now."""
        return [d for c in self.claims if (d := c.latest_decision) is not None
                and d.evidence_version == self.version]

    @property
    def referred(self) -> bool:
        """Some claim was referred on the current version: the learner may revise it."""
        return any(d.outcome == ClaimOutcome.REFERRED for d in self.decisions_on_current())

    @property
    def locked_for_learner(self) -> bool:
        """The content stands judged: accepted (or partly accepted) and nothing referred.

        Never-judged evidence is open; evidence with a referral is open for a revision (a new
        version, which sends every claim on it back for assessment); a revision awaiting
        assessment stays open until the assessor judges it.
        """
        current = self.decisions_on_current()
        return bool(current) and not any(d.outcome == ClaimOutcome.REFERRED for d in current)

    @property
    def latest_response(self) -> EvidenceResponse | None:
        """The learner's answer to this version of an assessor's record, if any."""
        mine = [r for r in self.responses if r.evidence_version == self.version]
        return mine[-1] if mine else None


class EvidenceFile(db.Model):
    """A file attached to evidence. The bytes live in the store under their sha256."""

    __tablename__ = "evidence_file"
    __table_args__ = (CheckConstraint("size > 0", name="not_empty"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    evidence_id: Mapped[int] = mapped_column(ForeignKey("evidence.id"), index=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    filename: Mapped[str] = mapped_column(String(255))  # for display only, never a path
    mime_type: Mapped[str] = mapped_column(String(127))
    size: Mapped[int]
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    evidence: Mapped[Evidence] = relationship(back_populates="files")


class EvidenceVersion(db.Model):
    """The content of an evidence item as saved, every version kept (see Evidence.version)."""

    __tablename__ = "evidence_version"
    __table_args__ = (UniqueConstraint("evidence_id", "number",
                                       name="uq_evidence_version_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    evidence_id: Mapped[int] = mapped_column(ForeignKey("evidence.id"), index=True)
    number: Mapped[int]
    # Title, method, date, texts, file hashes and claim rationales: see evidence.versions.
    content_json: Mapped[str] = mapped_column(Text)
    # The learner's note on a resubmission ("what I changed"), or the assessor's on an amendment.
    note: Mapped[str] = mapped_column(Text, default="")
    saved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # none: a witness
    # The version's readable text (evidence.passages), kept the first time it is read, so a
    # quote's offsets index the same string for good: {"text": ..., "parts": [...]}.
    readable_json: Mapped[str | None] = mapped_column(Text)
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    evidence: Mapped[Evidence] = relationship(back_populates="versions")
    saved_by: Mapped[User | None] = relationship()

    @property
    def saved_by_name(self) -> str:
        return self.saved_by.name if self.saved_by else self.evidence.author_name

    @property
    def content(self) -> dict:
        return json.loads(self.content_json)


class EvidenceResponse(db.Model):
    """The learner confirms an assessor's record as accurate, or disputes it with a comment."""

    __tablename__ = "evidence_response"
    __table_args__ = (
        CheckConstraint(f"response IN {tuple(r.value for r in RecordResponse)}",
                        name="response_known"),
        CheckConstraint("response = 'confirmed' OR length(comment) > 0",
                        name="dispute_has_comment"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    evidence_id: Mapped[int] = mapped_column(ForeignKey("evidence.id"), index=True)
    evidence_version: Mapped[int]
    response: Mapped[str] = mapped_column(String(16))
    comment: Mapped[str] = mapped_column(Text, default="")
    learner_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    evidence: Mapped[Evidence] = relationship(back_populates="responses")
    learner: Mapped[User] = relationship()


class WitnessRequest(db.Model):
    """The learner asks someone who saw their work for a testimony, through a one-time link.

    Only the sha256 of the link's token is kept. The link works once, until it expires or is
    revoked; what the witness submits becomes a witness-testimony evidence item.
    """

    __tablename__ = "witness_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    portfolio_id: Mapped[int] = mapped_column(ForeignKey("portfolio.id"), index=True)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    witness_name: Mapped[str] = mapped_column(String(120))
    witness_email: Mapped[str] = mapped_column(String(254))
    job_title: Mapped[str] = mapped_column(String(120))
    relationship_to_learner: Mapped[str] = mapped_column(String(200))
    activity: Mapped[str] = mapped_column(Text)  # what the learner asks them to describe
    # Which of the unit's witness-written methods (author = "witness" in the spec).
    method: Mapped[str] = mapped_column(String(64), default="witness_testimony",
                                        server_default="witness_testimony")
    # None until a link exists: with email off the assessor makes it, to pass on.
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    # The form's one-time key: a reload or a second press of the button makes no second link.
    request_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    passed_on_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    passed_on_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Filled when the witness signs:
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    evidence_id: Mapped[int | None] = mapped_column(ForeignKey("evidence.id"), unique=True)
    not_relative: Mapped[bool] = mapped_column(default=False)
    verification_contact: Mapped[str] = mapped_column(String(254), default="")
    signed_name: Mapped[str] = mapped_column(String(120), default="")
    # The witness's own answers: how they know the learner (RELATIONSHIPS), and for an expert
    # witness their occupational competence (a qualification or role).
    relationship_kind: Mapped[str] = mapped_column(String(20), default="", server_default="")
    competence: Mapped[str] = mapped_column(Text, default="", server_default="")
    signed_ip: Mapped[str] = mapped_column(String(64), default="", server_default="")
    # The assessor's check that the witness wrote it: how, on which day, by whom.
    verified_how: Mapped[str] = mapped_column(String(20), default="", server_default="")
    verified_on: Mapped[date | None] = mapped_column()
    verified_note: Mapped[str] = mapped_column(String(500), default="", server_default="")
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    portfolio: Mapped[Portfolio] = relationship()
    evidence: Mapped[Evidence | None] = relationship(back_populates="witness")
    requested_by: Mapped[User] = relationship(foreign_keys=[requested_by_id])
    verified_by: Mapped[User | None] = relationship(foreign_keys=[verified_by_id])

    @property
    def verified(self) -> bool:
        return bool(self.verified_how)

    def state(self, now: datetime) -> str:
        """signed, revoked, expired or waiting."""
        if self.used_at is not None:
            return "signed"
        if self.revoked_at is not None:
            return "revoked"
        if now >= self.expires_at:
            return "expired"
        return "waiting" if self.token_hash is not None else "to pass on"
