"""Declarations, sign-offs and countersignatures, bound to the portfolio's digest."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .accounts import Role, User
from .base import UTCDateTime, utcnow
from .portfolios import Portfolio


class SignatureKind(StrEnum):
    DECLARATION = "declaration"  # the learner: this evidence is my own work
    SIGN_OFF = "sign_off"  # the assessor: every criterion met; valid, authentic, ...
    COUNTERSIGN = "countersign"  # the IQA

    @property
    def label(self) -> str:
        return {"declaration": "Learner's declaration", "sign_off": "Assessor's sign-off",
                "countersign": "IQA's countersignature"}[self.value]


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
    signer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
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
