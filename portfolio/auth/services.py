"""Accounts: password hashing, login checks, user creation."""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update
from werkzeug.security import check_password_hash, generate_password_hash

from .. import audit
from ..audit import AuditAction
from ..errors import DomainError
from ..extensions import db
from ..models import LoginSession, Role, User, utcnow

MIN_PASSWORD_LENGTH = 10
MIN_PASSWORD_SCORE = 3  # zxcvbn's 0-4: 3 is "safely unguessable" online
# Checked when the email is unknown, so a miss costs as long as a hit and timing reveals nothing.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


def check_password(password: str, *, about: tuple[str, ...] = ()) -> None:
    """The rule for every password set: at least MIN_PASSWORD_LENGTH characters, not
    counting spaces at either end (so a password of spaces alone is refused), and not easy
    to guess: zxcvbn (Dropbox's estimator, with its lists of common passwords, names and
    words, keyboard patterns, repeats and sequences) must score it 3 of 4 or more, counting
    `about` (the person's name and email) as known to an attacker."""
    if len((password or "").strip()) < MIN_PASSWORD_LENGTH:
        raise DomainError(f"The password must be at least {MIN_PASSWORD_LENGTH} characters, "
                          "not counting spaces at the start or end.")
    from zxcvbn import zxcvbn

    # Its time grows with the length; past 100 characters a password is not guessed anyway.
    words = [w for a in about for w in re.split(r"[\s@._-]+", a.lower()) if len(w) > 2]
    words += [re.sub(r"[\s._-]+", "", a.lower().split("@")[0]) for a in about]
    verdict = zxcvbn(password[:100], user_inputs=words)
    if verdict["score"] < MIN_PASSWORD_SCORE:
        feedback = verdict["feedback"]
        why = feedback.get("warning") or "It would be easy to guess."
        tip = (feedback.get("suggestions") or ["Add another word or two."])[0]
        raise DomainError(f"That password is too easy to guess: {why.rstrip('.')}. {tip} "
                          "A few unrelated words together make a strong password that is "
                          "easy to remember.")


def hash_password(password: str) -> str:
    """scrypt (Werkzeug's default): memory-hard, salted, parameters kept in the hash."""
    return generate_password_hash(password)


def find_user(email: str) -> User | None:
    # Emails are stored lower-cased (create_user), so the unique index answers this.
    return db.session.scalar(select(User).where(User.email == email.strip().lower()))


class Locked(DomainError):
    """Too many wrong passwords in a row: sign-in is refused until `until`."""

    def __init__(self, until: datetime):
        self.until = until
        super().__init__("locked")


LOCK_AFTER = 5  # wrong passwords in a row before the first lock
LOCK_MAX_MINUTES = 60


def lock_minutes(failures: int) -> int:
    """How long the account is locked after this many wrong passwords in a row: none before
    LOCK_AFTER, then 1 minute, doubling with each further wrong one, at most an hour."""
    if failures < LOCK_AFTER:
        return 0
    return min(LOCK_MAX_MINUTES, 2 ** (failures - LOCK_AFTER))


def ensure_not_locked(user: User) -> None:
    """Raise Locked while the account is locked by wrong passwords or codes in a row."""
    if user.locked_until is not None and user.locked_until > utcnow():
        raise Locked(user.locked_until)


def count_failure(user: User) -> None:
    """One more wrong password or two-step code in a row: lock the account for
    lock_minutes, and save that at once (whatever the caller then rolls back)."""
    user.failed_logins = (user.failed_logins or 0) + 1
    minutes = lock_minutes(user.failed_logins)
    user.locked_until = utcnow() + timedelta(minutes=minutes) if minutes else None
    db.session.commit()


def authenticate(email: str, password: str) -> User | None:
    """The user if the email and password match an active account, else None (no reason why).

    Wrong passwords in a row lock the account for a growing time (lock_minutes); while it is
    locked every attempt, right or wrong, raises Locked and is not counted, so guessing
    gains nothing and the real user is told why. The count starts again only when the whole
    sign-in is done (auth.views.complete_sign_in): with two-step sign-in on, the right
    password alone does not reset it, so wrong codes between right passwords still lock."""
    user = find_user(email)
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    ensure_not_locked(user)
    if not check_password_hash(user.password_hash, password):
        count_failure(user)
        return None
    if not user.active:
        return None
    return user


def random_password() -> str:
    return secrets.token_urlsafe(12)


def create_user(*, email: str, name: str, role: str, password: str,
                actor: User | None) -> User:
    email = email.strip().lower()
    if find_user(email) is not None:
        raise DomainError(f"There is already an account for {email}.")
    check_password(password, about=(name, email))
    user = User(email=email, name=name.strip(), role=Role(role).value,
                password_hash=hash_password(password))
    db.session.add(user)
    db.session.flush()
    audit.record(AuditAction.USER_CREATED, actor=actor, summary=f"Created {role} account {email}",
                 user_id=user.id, role=role)
    return user


def end_sessions_of(user: User, why: str) -> int:
    """End every sign-in of this account held on the server; how many were live."""
    return db.session.execute(
        update(LoginSession).where(LoginSession.user_id == user.id,
                                   LoginSession.ended_at.is_(None))
        .values(ended_at=utcnow(), ended_why=why)
        .execution_options(synchronize_session=False)).rowcount


def set_password(user: User, password: str, *, actor: User | None) -> None:
    """A new password ends every sign-in of the account: whoever knew the old one is out."""
    check_password(password, about=(user.name, user.email))
    user.password_hash = hash_password(password)
    end_sessions_of(user, "password changed")
    audit.record(AuditAction.USER_PASSWORD_SET, actor=actor,
                 summary=f"Password set for {user.email}",
                 user_id=user.id)
