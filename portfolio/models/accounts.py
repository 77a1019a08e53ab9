"""People and their roles."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import UTCDateTime, utcnow


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


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(f"role IN {tuple(r.value for r in Role)}", name="role_known"),
        # One portfolio account per person at the identity provider.
        UniqueConstraint("oidc_issuer", "oidc_subject"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # A keyed fingerprint of the address of the last sign-in (never the address itself): a
    # witness statement signed from the learner's own address is flagged to the assessor.
    last_login_ip: Mapped[str] = mapped_column(String(64), default="", server_default="")
    # Wrong passwords in a row, and the time until which sign-in is refused because of them.
    failed_logins: Mapped[int] = mapped_column(default=0, server_default="0")
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set with a temporary password from an administrator: choose one's own at the next
    # sign-in before anything else.
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=false())
    # When an administrator closed the account (a leaver), and why; None while open.
    deactivated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deactivated_why: Mapped[str] = mapped_column(String(200), default="", server_default="")
    # The college account (OpenID Connect issuer and subject) this account was matched to at
    # its first sign-in with it; later sign-ins match by these first, so an email changed at
    # the identity provider does not move the account to someone else.
    oidc_issuer: Mapped[str | None] = mapped_column(String(255))
    oidc_subject: Mapped[str | None] = mapped_column(String(255))

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    @property
    def role_label(self) -> str:
        return Role(self.role).label

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"


class LoginSession(db.Model):
    """One sign-in, held on the server: the browser's session cookie carries a random key
    whose SHA-256 is kept here. Signing out ends it, so a copy of the cookie taken before
    stops working; it also ends `SESSION_HOURS` after sign-in, however busy the session."""

    __tablename__ = "login_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_why: Mapped[str] = mapped_column(String(40), default="", server_default="")


class PasswordReset(db.Model):
    """A "forgot your password" link: single use, time-limited, only its SHA-256 kept (the
    same rules as witness links). Asking again, or using one, ends the others."""

    __tablename__ = "password_reset"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class UnknownSignIn(db.Model):
    """Wrong sign-ins at an email address that has no account, counted and locked exactly as
    an account's are, so the lock's answer does not tell which addresses have accounts.
    Keyed by a hash of the address; rows untouched for a day are swept."""

    __tablename__ = "unknown_sign_in"

    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0, server_default="0")
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
