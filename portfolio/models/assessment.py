"""Claims of evidence against criteria, and the assessor's decisions on them."""

from __future__ import annotations

import json
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .accounts import User
from .base import UTCDateTime, utcnow

if TYPE_CHECKING:
    from .portfolios import Evidence


class ClaimOutcome(StrEnum):
    ACCEPTED = "accepted"
    REFERRED = "referred"


class QuoteFlag(StrEnum):
    """A quoted passage after a revision of its evidence (see evidence.passages.reanchor)."""

    CHANGED = "changed"  # found approximately: re-anchored to the new wording
    LOST = "lost"  # no longer in the evidence


class Claim(db.Model):
    """One evidence item tagged to one criterion, with the learner's rationale."""

    __tablename__ = "claim"
    __table_args__ = (
        UniqueConstraint("evidence_id", "criterion_id", name="uq_claim_evidence_criterion"),
        CheckConstraint(f"quote_flag IN ('', {', '.join(repr(f.value) for f in QuoteFlag)})",
                        name="quote_flag_known"),
        CheckConstraint("quote_start IS NULL OR (quote_start >= 0 AND quote_end > quote_start)",
                        name="quote_span"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    evidence_id: Mapped[int] = mapped_column(ForeignKey("evidence.id"), index=True)
    criterion_id: Mapped[str] = mapped_column(String(16))
    rationale: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The range items (e.g. channels) the learner says this evidence covers: a JSON list.
    range_json: Mapped[str] = mapped_column(Text, default="[]", server_default="[]")
    # The assessor may withdraw a claim instead of judging it: kept, counts for nothing.
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    withdrawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The passage of the evidence that meets the criterion, quoted by the learner: its words
    # as they stand in version `quote_version`'s readable text (evidence.passages), at
    # [quote_start, quote_end). Empty: no quote. After a revision the quote is found again:
    # `quote_flag` says when it changed (then `quote_was` keeps the words the learner quoted)
    # or is no longer there (then it has no offsets and keeps the words last found).
    quote: Mapped[str] = mapped_column(Text, default="", server_default="")
    quote_start: Mapped[int | None]
    quote_end: Mapped[int | None]
    quote_version: Mapped[int | None]
    quote_flag: Mapped[str] = mapped_column(String(16), default="", server_default="")
    quote_was: Mapped[str] = mapped_column(Text, default="", server_default="")

    evidence: Mapped[Evidence] = relationship(back_populates="claims")
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])
    withdrawn_by: Mapped[User | None] = relationship(foreign_keys=[withdrawn_by_id])
    decisions: Mapped[list[Decision]] = relationship(
        back_populates="claim", cascade="all, delete-orphan",
        order_by="(Decision.decided_at, Decision.id)")

    @property
    def latest_decision(self) -> Decision | None:
        return self.decisions[-1] if self.decisions else None

    @property
    def range_items(self) -> list[str]:
        return json.loads(self.range_json or "[]")

    @range_items.setter
    def range_items(self, items) -> None:
        self.range_json = json.dumps(sorted(set(items)))

    @property
    def withdrawn(self) -> bool:
        return self.withdrawn_at is not None

    @property
    def state(self) -> str:
        """awaiting, accepted, referred, or withdrawn: the latest decision, if it judged this
        version, unless the assessor withdrew the claim."""
        if self.withdrawn_at is not None:
            return "withdrawn"
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
    assessor_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    # The evidence version judged: a later revision sends the claim back for assessment.
    evidence_version: Mapped[int] = mapped_column(default=1, server_default="1")
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The range items the assessor confirms this evidence covers (a JSON list).
    range_json: Mapped[str] = mapped_column(Text, default="[]", server_default="[]")

    claim: Mapped[Claim] = relationship(back_populates="decisions")
    assessor: Mapped[User] = relationship()

    @property
    def range_items(self) -> list[str]:
        return json.loads(self.range_json or "[]")


class SuggestionDismissal(db.Model):
    """The learner set aside a suggested criterion for an evidence item ("Suggest criteria"):
    kept, with when and why, so the assessor sees what was suggested and not claimed."""

    __tablename__ = "suggestion_dismissal"
    __table_args__ = (UniqueConstraint("evidence_id", "criterion_id",
                                       name="uq_suggestion_dismissal_evidence_criterion"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    evidence_id: Mapped[int] = mapped_column(ForeignKey("evidence.id"), index=True)
    criterion_id: Mapped[str] = mapped_column(String(16))
    evidence_version: Mapped[int] = mapped_column(default=1)  # the version it was made on
    reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    dismissed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    dismissed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    dismissed_by: Mapped[User] = relationship()
