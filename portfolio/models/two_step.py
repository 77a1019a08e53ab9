"""Two-step sign-in: a person's TOTP secret (encrypted) and their recovery codes.

Kept beside the account rather than on it, so turning two-step off or an administrator's
reset is deleting rows, and the users table stays as it was.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import UTCDateTime, utcnow


class UserTotp(db.Model):
    """One person's authenticator app. `enabled_at` is empty while they are setting it up
    (the QR code shown, no code confirmed yet): only then does two-step sign-in apply."""

    __tablename__ = "user_totp"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), unique=True)
    # Fernet under a key derived from SECRET_KEY (portfolio/totp.py SecretBox).
    secret_sealed: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The 30-second step of the last code accepted: a code of that step or an earlier one is
    # refused, so a code cannot be used twice.
    last_step: Mapped[int | None] = mapped_column()


class RecoveryCode(db.Model):
    """A single-use code for signing in without the phone; only its SHA-256 is kept."""

    __tablename__ = "recovery_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
