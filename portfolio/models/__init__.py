"""Database models. Rules the database can hold are named CheckConstraints.

The portfolio and its evidence are here; internal and external quality assurance (samples,
assessor risk ratings, EQA grants) are in `quality`, re-exported below.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time
from enum import StrEnum

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint, types
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(types.TypeDecorator):
    """Aware UTC datetimes on every database (SQLite stores no zone, so we add it back)."""

    impl = types.DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given: use an aware UTC datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        return None if value is None else value.replace(tzinfo=UTC)


class Role(StrEnum):
    LEARNER = "learner"
    ASSESSOR = "assessor"
    IQA = "iqa"
    ADMIN = "admin"
    EQA = "eqa"  # external: read-only, named portfolios, until the grant expires

    @property
    def label(self) -> str:
        return {"iqa": "IQA (internal quality assurer)",
                "eqa": "EQA (external quality assurer)"}.get(self.value,
                                                              self.value.capitalize())


class ClaimOutcome(StrEnum):
    ACCEPTED = "accepted"
    REFERRED = "referred"


class SignatureKind(StrEnum):
    DECLARATION = "declaration"  # the learner: this evidence is my own work
    SIGN_OFF = "sign_off"  # the assessor: every criterion met; valid, authentic, ...
    COUNTERSIGN = "countersign"  # the IQA

    @property
    def label(self) -> str:
        return {"declaration": "Learner's declaration", "sign_off": "Assessor's sign-off",
                "countersign": "IQA's countersignature"}[self.value]


class RecordResponse(StrEnum):
    """The learner's answer to an assessor's record of an observation or discussion."""

    CONFIRMED = "confirmed"
    DISPUTED = "disputed"


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(f"role IN {tuple(r.value for r in Role)}", name="role_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    @property
    def role_label(self) -> str:
        return Role(self.role).label

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"


class Portfolio(db.Model):
    """One learner on one unit, with the assessor who judges it and the IQA who samples it."""

    __tablename__ = "portfolio"
    __table_args__ = (
        UniqueConstraint("learner_id", "unit_id", name="uq_portfolio_learner_unit"),
        CheckConstraint("assessor_id <> iqa_id", name="iqa_not_assessor"),
        CheckConstraint("learner_id <> assessor_id AND learner_id <> iqa_id",
                        name="learner_not_judge"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    learner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    unit_id: Mapped[str] = mapped_column(String(64))
    assessor_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    iqa_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set by the assessor's sign-off: nothing in the portfolio may change until reopened.
    locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

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
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Bumped on every saved change; each version's content is kept in EvidenceVersion. A form
    # opened before someone else's save is refused, not merged; a decision names the version
    # it judged, so a revised item goes back to "awaiting assessment".
    version: Mapped[int] = mapped_column(default=1)
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


class Claim(db.Model):
    """One evidence item tagged to one criterion, with the learner's rationale."""

    __tablename__ = "claim"
    __table_args__ = (UniqueConstraint("evidence_id", "criterion_id",
                                       name="uq_claim_evidence_criterion"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    evidence_id: Mapped[int] = mapped_column(ForeignKey("evidence.id"), index=True)
    criterion_id: Mapped[str] = mapped_column(String(16))
    rationale: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    evidence: Mapped[Evidence] = relationship(back_populates="claims")
    created_by: Mapped[User] = relationship()
    decisions: Mapped[list[Decision]] = relationship(
        back_populates="claim", cascade="all, delete-orphan",
        order_by="(Decision.decided_at, Decision.id)")

    @property
    def latest_decision(self) -> Decision | None:
        return self.decisions[-1] if self.decisions else None

    @property
    def state(self) -> str:
        """awaiting, accepted or referred: the latest decision, if it judged this version."""
        d = self.latest_decision
        if d is None or d.evidence_version != self.evidence.version:
            return "awaiting"
        return d.outcome

    @property
    def added_by_assessor(self) -> bool:
        return self.created_by_id != self.evidence.portfolio.learner_id


class Decision(db.Model):
    """An assessor's judgement of a claim. Appended, never overwritten."""

    __tablename__ = "decision"
    __table_args__ = (
        CheckConstraint(f"outcome IN {tuple(o.value for o in ClaimOutcome)}",
                        name="outcome_known"),
        CheckConstraint("outcome = 'accepted' OR length(feedback) > 0",
                        name="referral_has_feedback"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claim.id"), index=True)
    outcome: Mapped[str] = mapped_column(String(16))
    feedback: Mapped[str] = mapped_column(Text, default="")
    assessor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # The evidence version judged: a later revision sends the claim back for assessment.
    evidence_version: Mapped[int] = mapped_column(default=1, server_default="1")
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    claim: Mapped[Claim] = relationship(back_populates="decisions")
    assessor: Mapped[User] = relationship()


class Signature(db.Model):
    """A declaration, sign-off or countersignature, bound to the portfolio's digest.

    Kept for good. It is current while the portfolio's digest still equals the one signed and
    nobody has reopened the portfolio since; otherwise it shows as superseded.
    """

    __tablename__ = "signature"
    __table_args__ = (
        CheckConstraint(f"kind IN {tuple(k.value for k in SignatureKind)}", name="kind_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    portfolio_id: Mapped[int] = mapped_column(ForeignKey("portfolio.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    signer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    role: Mapped[str] = mapped_column(String(20))
    typed_name: Mapped[str] = mapped_column(String(120))
    statement: Mapped[str] = mapped_column(Text)
    digest: Mapped[str] = mapped_column(String(64))
    # The canonical state that was signed, so "what changed since" can be shown later.
    state_json: Mapped[str] = mapped_column(Text)
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_reason: Mapped[str] = mapped_column(Text, default="")

    portfolio: Mapped[Portfolio] = relationship(back_populates="signatures")
    signer: Mapped[User] = relationship()

    @property
    def label(self) -> str:
        return SignatureKind(self.kind).label

    @property
    def role_label(self) -> str:
        return Role(self.role).label


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
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Filled when the witness signs:
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    evidence_id: Mapped[int | None] = mapped_column(ForeignKey("evidence.id"), unique=True)
    not_relative: Mapped[bool] = mapped_column(default=False)
    verification_contact: Mapped[str] = mapped_column(String(254), default="")
    signed_name: Mapped[str] = mapped_column(String(120), default="")

    portfolio: Mapped[Portfolio] = relationship()
    evidence: Mapped[Evidence | None] = relationship(back_populates="witness")
    requested_by: Mapped[User] = relationship(foreign_keys=[requested_by_id])

    def state(self, now: datetime) -> str:
        """signed, revoked, expired or waiting."""
        if self.used_at is not None:
            return "signed"
        if self.revoked_at is not None:
            return "revoked"
        if now >= self.expires_at:
            return "expired"
        return "waiting"


class ExportJob(db.Model):
    """A PDF export running outside the request, with its progress for the waiting page.

    kind "portfolio": one portfolio's signed PDF. kind "pack": the EQA sample pack (a ZIP) of
    the portfolios in `portfolio_ids` (comma-separated), with no single portfolio_id.
    """

    __tablename__ = "export_job"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), default="portfolio",
                                      server_default="portfolio")
    portfolio_id: Mapped[int | None] = mapped_column(ForeignKey("portfolio.id"), index=True)
    portfolio_ids: Mapped[str] = mapped_column(Text, default="", server_default="")
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(16), default="queued")  # running, done, failed
    step: Mapped[str] = mapped_column(String(200), default="Waiting to start")
    percent: Mapped[int] = mapped_column(default=0)
    file_name: Mapped[str] = mapped_column(String(255), default="")
    digest: Mapped[str] = mapped_column(String(64), default="")
    error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    portfolio: Mapped[Portfolio | None] = relationship()
    requested_by: Mapped[User] = relationship()

    @property
    def pack_ids(self) -> list[int]:
        return [int(i) for i in self.portfolio_ids.split(",") if i]


class Notification(db.Model):
    """An inbox item: something happened that this user should act on or know about."""

    __tablename__ = "notification"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    portfolio_id: Mapped[int | None] = mapped_column(ForeignKey("portfolio.id"), index=True)
    message: Mapped[str] = mapped_column(Text)
    link: Mapped[str] = mapped_column(String(500), default="")  # a path inside the app
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    portfolio: Mapped[Portfolio | None] = relationship()


class AuditEvent(db.Model):
    """Append-only record of who did what. Kept when the thing it describes is deleted."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    # No foreign key on purpose: the event outlives the portfolio and the user it names.
    portfolio_id: Mapped[int | None] = mapped_column(index=True)
    actor_id: Mapped[int | None]
    actor_email: Mapped[str] = mapped_column(String(254), default="")
    action: Mapped[str] = mapped_column(String(64))
    summary: Mapped[str] = mapped_column(Text, default="")
    detail_json: Mapped[str] = mapped_column(Text, default="{}")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    @property
    def detail(self) -> dict:
        return json.loads(self.detail_json or "{}")


from .quality import (  # noqa: E402, F401  (needs the classes above; re-exported)
    AssessorRisk,
    EqaGrant,
    RiskRating,
    Sample,
    SampleAction,
    SampleCheck,
    SampleOutcome,
    SampleStage,
    current_grants,
)
