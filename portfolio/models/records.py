"""What happened: each user's inbox of notifications, and the append-only audit log."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow
from .portfolios import Portfolio


class Notification(db.Model):
    """An inbox item: something happened that this user should act on or know about."""

    __tablename__ = "notification"
    # The unread count on every page, and the inbox: by user, unread first.
    __table_args__ = (Index("ix_notification_user_read", "user_id", "read_at"),)

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
    # A portfolio's history and its last activity (the lists): by portfolio, in time order.
    __table_args__ = (Index("ix_audit_event_portfolio_time", "portfolio_id", "created_at"),)

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
