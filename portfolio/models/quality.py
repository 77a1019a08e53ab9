"""Quality assurance: assessor risk ratings, IQA samples, and EQA access grants."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Column, ForeignKey, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .accounts import User
from .assessment import Decision
from .base import UTCDateTime, utcnow
from .portfolios import Portfolio


class RiskRating(StrEnum):
    """How closely an IQA watches an assessor. Targets per rating are a setting."""

    NEW = "new"
    UNDER_DEVELOPMENT = "under_development"
    EXPERIENCED = "experienced"

    @property
    def label(self) -> str:
        return {"new": "New assessor", "under_development": "Under development",
                "experienced": "Experienced"}[self.value]


class SampleStage(StrEnum):
    INTERIM = "interim"  # the portfolio was in progress when sampled
    SUMMATIVE = "summative"  # the portfolio was signed off when sampled

    @property
    def label(self) -> str:
        return self.value.capitalize()


class SampleOutcome(StrEnum):
    UPHELD = "upheld"
    ACTION_REQUIRED = "action_required"

    @property
    def label(self) -> str:
        return {"upheld": "Decisions upheld", "action_required": "Action required"}[self.value]


class AssessorRisk(db.Model):
    """The current risk rating of an assessor, with the reasons. Changes are audited."""

    __tablename__ = "assessor_risk"
    __table_args__ = (
        CheckConstraint(f"rating IN {tuple(r.value for r in RiskRating)}", name="rating_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assessor_id: Mapped[int] = mapped_column(ForeignKey("users.id"), unique=True)
    rating: Mapped[str] = mapped_column(String(20))
    reasons: Mapped[str] = mapped_column(Text, default="")
    set_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    assessor: Mapped[User] = relationship(foreign_keys=[assessor_id])
    set_by: Mapped[User] = relationship(foreign_keys=[set_by_id])


class Sample(db.Model):
    """A portfolio in the IQA's sampling plan; once reviewed, the sample record.

    Planned until the IQA records an outcome; then completed, with the portfolio's digest at
    that moment, so a countersignature can require a sample of the portfolio as signed off.
    """

    __tablename__ = "sample"
    __table_args__ = (
        CheckConstraint(f"stage IN {tuple(s.value for s in SampleStage)}", name="stage_known"),
        CheckConstraint(f"outcome IS NULL OR outcome IN "
                        f"{tuple(o.value for o in SampleOutcome)}", name="outcome_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    portfolio_id: Mapped[int] = mapped_column(ForeignKey("portfolio.id"), index=True)
    iqa_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    # Why it is in the plan: what it covers (assessor, methods, outcomes, stage), or "added".
    reason: Mapped[str] = mapped_column(Text, default="")
    stage: Mapped[str] = mapped_column(String(16))
    planned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    outcome: Mapped[str | None] = mapped_column(String(20))
    feedback: Mapped[str] = mapped_column(Text, default="")
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    digest: Mapped[str] = mapped_column(String(64), default="")

    portfolio: Mapped[Portfolio] = relationship()
    iqa: Mapped[User] = relationship()
    checks: Mapped[list[SampleCheck]] = relationship(
        back_populates="sample", cascade="all, delete-orphan", order_by="SampleCheck.id")
    actions: Mapped[list[SampleAction]] = relationship(
        back_populates="sample", cascade="all, delete-orphan", order_by="SampleAction.id")

    @property
    def completed(self) -> bool:
        return self.completed_at is not None

    def counts_since(self, since: datetime) -> bool:
        """Counts in the sampling period that began at `since`: still planned, or planned
        since then."""
        return not self.completed or self.planned_at >= since

    @property
    def actions_answered(self) -> int:
        return sum(1 for a in self.actions if a.responded_at is not None)

    @property
    def outcome_label(self) -> str:
        return SampleOutcome(self.outcome).label if self.outcome else "Not yet sampled"

    @property
    def stage_label(self) -> str:
        return SampleStage(self.stage).label


class SampleCheck(db.Model):
    """The IQA agrees or disagrees with one sampled assessment decision."""

    __tablename__ = "sample_check"
    __table_args__ = (
        CheckConstraint("agrees OR length(comment) > 0", name="disagreement_explained"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sample_id: Mapped[int] = mapped_column(ForeignKey("sample.id"), index=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("decision.id"))
    agrees: Mapped[bool]
    comment: Mapped[str] = mapped_column(Text, default="")

    sample: Mapped[Sample] = relationship(back_populates="checks")
    decision: Mapped[Decision] = relationship()


class SampleAction(db.Model):
    """Something the assessor must do after a sample, by a date; the assessor answers it."""

    __tablename__ = "sample_action"

    id: Mapped[int] = mapped_column(primary_key=True)
    sample_id: Mapped[int] = mapped_column(ForeignKey("sample.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    due: Mapped[date]
    response: Mapped[str] = mapped_column(Text, default="")
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    responded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    sample: Mapped[Sample] = relationship(back_populates="actions")
    responded_by: Mapped[User | None] = relationship()

    def overdue(self, today: date) -> bool:
        return self.responded_at is None and today > self.due


eqa_grant_portfolio = Table(
    "eqa_grant_portfolio", db.metadata,
    Column("grant_id", ForeignKey("eqa_grant.id"), primary_key=True),
    Column("portfolio_id", ForeignKey("portfolio.id"), primary_key=True),
)


class EqaGrant(db.Model):
    """Read-only access for an external quality assurer to named portfolios, until a date.

    The invitation link (only its sha256 kept) lets them set a password once; after that they
    sign in normally until the grant expires or is revoked.
    """

    __tablename__ = "eqa_grant"

    id: Mapped[int] = mapped_column(primary_key=True)
    eqa_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    organisation: Mapped[str] = mapped_column(String(200), default="")  # the awarding body
    granted_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    invite_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    invite_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    eqa: Mapped[User] = relationship(foreign_keys=[eqa_id], back_populates="eqa_grants")
    granted_by: Mapped[User] = relationship(foreign_keys=[granted_by_id])
    portfolios: Mapped[list[Portfolio]] = relationship(secondary=eqa_grant_portfolio,
                                                       order_by="Portfolio.id")

    def current(self, now: datetime) -> bool:
        return self.revoked_at is None and now < self.expires_at

    def state(self, now: datetime) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if now >= self.expires_at:
            return "expired"
        return "active" if self.invite_used_at else "invited"


def current_grants(user: User, now: datetime | None = None) -> list[EqaGrant]:
    """An EQA's grants that are neither expired nor revoked."""
    now = now or utcnow()
    return [g for g in user.eqa_grants if g.current(now)]


User.eqa_grants = relationship(EqaGrant, foreign_keys=[EqaGrant.eqa_id], back_populates="eqa",
                               order_by=EqaGrant.id)
