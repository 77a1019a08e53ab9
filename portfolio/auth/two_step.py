"""Two-step sign-in: setting up an authenticator app, checking its codes and recovery codes,
turning it off, and an administrator's reset. Services: they flush, the view commits, except
that a wrong code or password is counted and saved at once (auth.services.count_failure), as
a wrong password at sign-in is, so a refusal that rolls back still counts towards the lock.

Rules:
- Only a confirmed enrolment (`enabled_at`) asks for codes; a QR code shown and never
  confirmed changes nothing at sign-in.
- A TOTP code is used at most once: a conditional UPDATE moves `last_step` forward, and only
  the request that moved it succeeds, so the same code sent twice at once works once.
- A recovery code is used at most once, the same way: `UPDATE ... SET used_at = now WHERE
  code_hash = :h AND used_at IS NULL`; no row changed means no such unused code.
- With MFA_REQUIRED_FOR_STAFF every role but learner must have it on, and may not turn it
  off (an administrator resets it when the phone and codes are lost).
"""

from __future__ import annotations

from datetime import datetime

from flask import current_app
from sqlalchemy import delete, func, or_, select, update

from .. import audit, totp
from ..audit import AuditAction
from ..errors import DomainError, NotAllowed
from ..extensions import db
from ..models import LoginSession, RecoveryCode, Role, User, UserTotp, utcnow
from ..tokens import hash_token
from .services import (
    check_current_password,
    count_failure,
    end_sessions_of,
    ensure_not_locked,
)


class WrongCode(DomainError):
    """The code typed is not a current authenticator code nor an unused recovery code."""


class SecretUnreadable(DomainError):
    """No key opens the stored secret: SECRET_KEY changed without the old one kept among
    SECRET_KEY_FALLBACKS. Only a reset (and setting it up again) helps."""


UNREADABLE = ("Your two-step sign-in cannot be checked on this server (its key has changed). "
              "Use a recovery code, or ask your centre's administrator to reset your "
              "two-step sign-in, then set it up again.")


def _box() -> totp.SecretBox:
    config = current_app.config
    return totp.SecretBox(str(config["SECRET_KEY"]),
                          [str(k) for k in config.get("SECRET_KEY_FALLBACKS") or ()])


def record_of(user: User) -> UserTotp | None:
    return db.session.scalar(select(UserTotp).where(UserTotp.user_id == user.id))


def is_on(user: User) -> bool:
    """Does signing in as `user` need a code after the password?"""
    return db.session.scalar(select(UserTotp.id).where(
        UserTotp.user_id == user.id, UserTotp.enabled_at.is_not(None))) is not None


def required_for(user: User) -> bool:
    """Must this person use two-step sign-in? Staff (every role but learner) when the centre
    sets MFA_REQUIRED_FOR_STAFF; learners choose for themselves."""
    return bool(current_app.config.get("MFA_REQUIRED_FOR_STAFF")) and user.role != Role.LEARNER


def with_two_step(user_ids: list[int] | None = None) -> set[int]:
    """The ids of the accounts that have two-step sign-in on (one query for a whole list)."""
    query = select(UserTotp.user_id).where(UserTotp.enabled_at.is_not(None))
    if user_ids is not None:
        query = query.where(UserTotp.user_id.in_(user_ids))
    return set(db.session.scalars(query))


def codes_left(user: User) -> int:
    return db.session.scalar(select(func.count(RecoveryCode.id)).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))) or 0


def start_enrolment(user: User) -> str:
    """The secret to show for setting up: the one already waiting for its first code (so a
    reload shows the same QR code the phone may have scanned), or a new one."""
    row = record_of(user)
    if row is not None and row.enabled_at is not None:
        raise DomainError("Two-step sign-in is already on for your account.")
    box = _box()
    if row is not None:
        secret, _ = box.open(row.secret_sealed)
        if secret is not None:
            return secret
        db.session.delete(row)  # sealed under a key this server no longer has
        db.session.flush()
    secret = totp.new_secret()
    db.session.add(UserTotp(user_id=user.id, secret_sealed=box.seal(secret)))
    db.session.flush()
    return secret


def confirm_enrolment(user: User, typed: str, *, now: datetime,
                      keep_session: str | None) -> list[str]:
    """Turn two-step sign-in on once the app shows a code that matches; returns the recovery
    codes, to show once. The account's other sign-ins end (they were made with the password
    alone); `keep_session` is this browser's sign-in key."""
    row = record_of(user)
    if row is None or row.enabled_at is not None:
        raise DomainError("Start again: open Two-step sign-in from your account page.")
    secret, _ = _box().open(row.secret_sealed)
    step = totp.matching_step(secret, typed, now) if secret else None
    if step is None:
        raise WrongCode("That code does not match. Check that the app shows the code for "
                        f"{user.email} and type the {totp.DIGITS} digits it shows now.")
    row.enabled_at, row.last_step = now, step
    codes = _replace_codes(user)
    ended = db.session.execute(
        update(LoginSession).where(LoginSession.user_id == user.id,
                                   LoginSession.ended_at.is_(None),
                                   LoginSession.key_hash != hash_token(keep_session or ""))
        .values(ended_at=utcnow(), ended_why="two-step turned on")
        .execution_options(synchronize_session=False)).rowcount
    audit.record(AuditAction.MFA_ENABLED, actor=user,
                 summary=f"{user.email} turned on two-step sign-in", user_id=user.id,
                 other_sign_ins_ended=ended)
    return codes


def _replace_codes(user: User) -> list[str]:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = totp.new_recovery_codes()
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=totp.hash_recovery_code(c))
                       for c in codes)
    db.session.flush()
    return codes


def check_code(user: User, typed: str, *, now: datetime) -> str:
    """The second step: an authenticator code ("totp") or a recovery code ("recovery code"),
    used up by this call. A wrong one counts towards the account's lock like a wrong
    password; while the account is locked nothing is tried (auth.services.AccountLocked)."""
    ensure_not_locked(user)
    row = record_of(user)
    if row is None or row.enabled_at is None:
        raise DomainError("Two-step sign-in is not on for this account.")
    if totp.looks_like_totp(typed):
        secret, current = _box().open(row.secret_sealed)
        if secret is None:
            current_app.logger.error("TOTP secret of user %s opens with no key", user.id)
            raise SecretUnreadable(UNREADABLE)
        step = totp.matching_step(secret, typed, now)
        if step is not None and _use_step(row, step):
            if not current:  # opened with a fallback key: seal it under the current one
                row.secret_sealed = _box().seal(secret)
            return "totp"
        count_failure(user)
        raise WrongCode("That code is not right, or it has been used already. Type the "
                        f"{totp.DIGITS} digits your app shows now (wait for a new one if "
                        "you have just used this one), or one of your recovery codes.")
    if _use_recovery_code(user, typed, now):
        left = codes_left(user)
        audit.record(AuditAction.MFA_RECOVERY_CODE_USED, actor=user,
                     summary=f"{user.email} used a recovery code ({left} left)",
                     user_id=user.id, left=left)
        return "recovery code"
    count_failure(user)
    raise WrongCode("That code is not right. Type the 6 digits your authenticator app shows "
                    "now, or a recovery code you have not used before (like "
                    "abcd-efgh-jkmn-pqrs).")


def _use_step(row: UserTotp, step: int) -> bool:
    """Move last_step forward to `step`: False when this step (or a later one) was already
    used, by an earlier request or by one at this same instant."""
    moved = db.session.execute(
        update(UserTotp).where(UserTotp.id == row.id, UserTotp.enabled_at.is_not(None),
                               or_(UserTotp.last_step.is_(None), UserTotp.last_step < step))
        .values(last_step=step).execution_options(synchronize_session=False)).rowcount == 1
    db.session.expire(row, ["last_step"])
    return moved


def _use_recovery_code(user: User, typed: str, now: datetime) -> bool:
    if not typed or len(typed) > 40:
        return False
    return db.session.execute(
        update(RecoveryCode).where(RecoveryCode.user_id == user.id,
                                   RecoveryCode.code_hash == totp.hash_recovery_code(typed),
                                   RecoveryCode.used_at.is_(None))
        .values(used_at=now).execution_options(synchronize_session=False)).rowcount == 1


def make_recovery_codes(user: User, password: str) -> list[str]:
    """New recovery codes (the current password asked again); every earlier one ends."""
    if not is_on(user):
        raise DomainError("Turn on two-step sign-in first.")
    check_current_password(user, password)
    codes = _replace_codes(user)
    audit.record(AuditAction.MFA_RECOVERY_CODES_MADE, actor=user,
                 summary=f"{user.email} made new recovery codes", user_id=user.id)
    return codes


def turn_off(user: User, password: str, typed: str, *, now: datetime) -> None:
    """Turn two-step sign-in off: the current password and a code (authenticator or
    recovery). Refused for staff while the centre requires it."""
    if required_for(user):
        raise NotAllowed("Your centre requires two-step sign-in for staff, so it cannot be "
                         "turned off. If you have a new phone, ask your centre's "
                         "administrator to reset it; you then set it up again.")
    check_current_password(user, password)
    check_code(user, typed, now=now)
    _remove(user)
    audit.record(AuditAction.MFA_DISABLED, actor=user,
                 summary=f"{user.email} turned off two-step sign-in", user_id=user.id)


def reset(user: User, *, actor: User | None) -> None:
    """An administrator (or `flask users reset-two-step`, actor None) turns off someone's
    two-step sign-in when they have lost their phone and their recovery codes. Never one's
    own: that would skip the password and code that turning it off asks for."""
    if actor is not None and actor.role != Role.ADMIN:
        raise NotAllowed("Only an administrator resets two-step sign-in.")
    if actor is not None and actor.id == user.id:
        raise DomainError("You cannot reset your own two-step sign-in: another administrator "
                          "can, or turn it off on your account page.")
    if record_of(user) is None:
        raise DomainError(f"{user.name} does not have two-step sign-in set up.")
    _remove(user)
    # Whoever holds a sign-in made with the lost phone is out: the person signs in afresh.
    end_sessions_of(user, "two-step reset")
    audit.record(AuditAction.MFA_RESET, actor=actor,
                 summary=f"Two-step sign-in reset for {user.email}", user_id=user.id)


def _remove(user: User) -> None:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    db.session.execute(delete(UserTotp).where(UserTotp.user_id == user.id))
    db.session.flush()
