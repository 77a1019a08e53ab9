"""Forgotten passwords: a single-use, time-limited link by email, and temporary passwords
set by an administrator that must be changed at the next sign-in.

The link follows the witness-link rules (portfolio/tokens.py): 256 random bits, only the
SHA-256 kept, used once by a conditional UPDATE so two uses at the same instant cannot both
set a password. Asking for a link says the same whether or not the address has an account.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, update
from werkzeug.security import check_password_hash

from .. import audit
from ..access import access_ended
from ..audit import AuditAction
from ..errors import DomainError, FieldProblem
from ..extensions import db
from ..models import PasswordReset, User, utcnow
from ..notify import absolute, link_to, queue_mail
from ..tokens import hash_token, new_token
from . import two_step
from .services import (
    check_current_password,
    check_password,
    end_reset_links,
    end_sessions_of,
    find_user,
    hash_password,
    random_password,
)


def link_minutes() -> int:
    return current_app.config.get("RESET_LINK_MINUTES", 60)


def request_link(email: str, *, now: datetime) -> bool:
    """Email a reset link to the account with this address, if there is an open one; whether
    there was is never told to the asker (the page says the same). False when email is off."""
    if not current_app.config.get("MAIL_SERVER"):
        return False
    user = find_user(email)
    if user is None or not user.active or access_ended(user):
        return True
    end_reset_links(user, now)
    token = new_token()
    minutes = link_minutes()
    db.session.add(PasswordReset(token_hash=hash_token(token), user_id=user.id, created_at=now,
                                 expires_at=now + timedelta(minutes=minutes)))
    centre = current_app.config["CENTRE_NAME"]
    url = absolute(link_to("auth.reset_password", token=token))
    queue_mail(user.email, "Set a new password for your evidence portfolio",
               f"Hello {user.name},\n\nSomeone (we hope you) asked to set a new password for "
               f"your evidence portfolio account at {centre}.\n\nTo choose one, open this link "
               f"within {minutes} minutes. It works once:\n{url}\n\nIf you did not ask, you "
               "can ignore this email: your password has not changed.\n\n"
               f"{centre}\n")
    audit.record(AuditAction.USER_RESET_REQUESTED, actor=None,
                 summary=f"Password reset link emailed to {user.email}", user_id=user.id)
    return True


def find_link(token: str) -> PasswordReset | None:
    if not token or len(token) > 100:
        return None
    return db.session.scalar(select(PasswordReset).where(
        PasswordReset.token_hash == hash_token(token)))


def link_problem(link: PasswordReset | None, now: datetime) -> str | None:
    """Why this link cannot set a password, in words for the person holding it; None if it can."""
    if link is None:
        return "This link is not valid. Check you copied all of it, or ask for a new one."
    if link.used_at is not None:
        return ("This link has already been used, or a newer one was sent. Ask for a new link "
                "if you still need one.")
    if now >= link.expires_at:
        return f"This link has expired: links work for {link_minutes()} minutes. Ask for a new one."
    user = db.session.get(User, link.user_id)
    if user is None or not user.active or access_ended(user):
        return "This account is closed. Ask your centre's administrator if that is a mistake."
    return None


def _check_new(user: User, password: str, confirm: str) -> None:
    try:
        check_password(password, about=(user.name, user.email))
    except DomainError as exc:
        raise FieldProblem(str(exc), "password") from None
    if password != confirm:
        raise FieldProblem("The two new passwords are different. Type the same one in both "
                           "boxes.", "password2")


def use_link(link: PasswordReset, password: str, confirm: str, *, now: datetime) -> User:
    """Set the account's password from the link, once; every sign-in of it ends."""
    problem = link_problem(link, now)
    if problem:
        raise DomainError(problem)
    user = db.session.get(User, link.user_id)
    _check_new(user, password, confirm)
    claimed = db.session.execute(
        update(PasswordReset).where(PasswordReset.id == link.id,
                                    PasswordReset.used_at.is_(None),
                                    PasswordReset.expires_at > now)
        .values(used_at=now).execution_options(synchronize_session=False)).rowcount == 1
    db.session.expire(link, ["used_at"])
    if not claimed:
        raise DomainError(link_problem(link, now) or "This link was just used.")
    end_reset_links(user, now)
    user.password_hash = hash_password(password)
    user.must_change_password = False
    # Whoever could read the email chose the password, so a lock from guessing passwords
    # ends too; not with two-step sign-in on, where the lock also holds back guessed codes
    # (a reset link must not buy more guesses at the code).
    if not two_step.is_on(user):
        user.failed_logins, user.locked_until = 0, None
    end_sessions_of(user, "password reset")
    audit.record(AuditAction.USER_PASSWORD_RESET, actor=user,
                 summary=f"{user.email} set a new password from a reset link", user_id=user.id)
    return user


def set_temporary(user: User, *, actor: User, now: datetime) -> str:
    """A password the administrator passes on; the person must choose their own at the next
    sign-in. Every sign-in of the account, and every reset link, ends. Returns it (shown once)."""
    if not user.active:
        raise DomainError("This account is closed: reopen it first.")
    if user.id == actor.id:
        raise DomainError("Change your own password from your account page instead.")
    password = random_password()
    user.password_hash = hash_password(password)
    user.must_change_password, user.failed_logins, user.locked_until = True, 0, None
    end_reset_links(user, now)
    end_sessions_of(user, "temporary password")
    audit.record(AuditAction.USER_PASSWORD_TEMPORARY, actor=actor,
                 summary=f"Temporary password set for {user.email}", user_id=user.id)
    return password


def change_own(user: User, current: str | None, password: str, confirm: str, *,
               forced: bool) -> None:
    """The person changes their own password. `current` is asked for unless `forced`: they
    signed in with a temporary one a moment ago (auth.must_choose). Every sign-in of the
    account ends: the caller begins a new one for this browser."""
    if not forced:
        check_current_password(user, current)
    if check_password_hash(user.password_hash, password):
        raise FieldProblem("The new password must be different from the one you have now.",
                           "password")
    _check_new(user, password, confirm)
    user.password_hash = hash_password(password)
    user.must_change_password = False
    end_reset_links(user, utcnow())
    end_sessions_of(user, "password changed")
    audit.record(AuditAction.USER_PASSWORD_SET, actor=user,
                 summary=f"{user.email} changed their password", user_id=user.id)
