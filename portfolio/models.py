"""Database models. Rules the database can hold are named CheckConstraints."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from enum import StrEnum

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint, types
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .extensions import db


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

    @property
    def label(self) -> str:
        return {"iqa": "IQA (internal quality assurer)"}.get(self.value, self.value.capitalize())


class ClaimOutcome(StrEnum):
    ACCEPTED = "accepted"
    REFERRED = "referred"


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

    learner: Mapped[User] = relationship(foreign_keys=[learner_id])
    assessor: Mapped[User] = relationship(foreign_keys=[assessor_id])
    iqa: Mapped[User] = relationship(foreign_keys=[iqa_id])
    evidence: Mapped[list[Evidence]] = relationship(
        back_populates="portfolio", cascade="all, delete-orphan",
        order_by="(Evidence.dated, Evidence.id)")


class Evidence(db.Model):
    __tablename__ = "evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    portfolio_id: Mapped[int] = mapped_column(ForeignKey("portfolio.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    method: Mapped[str] = mapped_column(String(64))
    dated: Mapped[date]
    context: Mapped[str] = mapped_column(Text, default="")
    account_md: Mapped[str] = mapped_column(Text, default="")
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # Bumped on every edit: a form opened before someone else's save is refused, not merged.
    version: Mapped[int] = mapped_column(default=1)
    # The add form's one-time key: a double-clicked submit creates one item, not two.
    submission_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    portfolio: Mapped[Portfolio] = relationship(back_populates="evidence")
    author: Mapped[User] = relationship()
    files: Mapped[list[EvidenceFile]] = relationship(
        back_populates="evidence", cascade="all, delete-orphan", order_by="EvidenceFile.id")
    claims: Mapped[list[Claim]] = relationship(
        back_populates="evidence", cascade="all, delete-orphan", order_by="Claim.criterion_id")

    @property
    def judged(self) -> bool:
        """Has any assessor decision: the learner may add claims but not change what was judged."""
        return any(c.decisions for c in self.claims)


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
    decisions: Mapped[list[Decision]] = relationship(
        back_populates="claim", cascade="all, delete-orphan",
        order_by="(Decision.decided_at, Decision.id)")

    @property
    def latest_decision(self) -> Decision | None:
        return self.decisions[-1] if self.decisions else None


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
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    claim: Mapped[Claim] = relationship(back_populates="decisions")
    assessor: Mapped[User] = relationship()


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
