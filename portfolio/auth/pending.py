"""Between the password and the code: a sign-in waiting for its second step.

The signed session cookie holds who (the user id), since when, and a keyed mark of their
password hash; nothing else. It is not a sign-in: Flask-Login's login_user is not called
until the code is right (auth.views.complete_sign_in), so every page but the code's own
still sends this browser to sign in. It lasts PENDING_SECONDS, and a new password (or a
deactivated account, or an EQA whose access ended) voids it.
"""

from __future__ import annotations

import hashlib
import hmac
import time

from flask import current_app, redirect, session, url_for

from ..access import access_ended
from ..extensions import db
from ..models import User
from . import two_step

PENDING_KEY = "two_step_pending"
PENDING_SECONDS = 5 * 60


def _password_mark(user: User) -> str:
    """Changes when the password does; reveals nothing of it (HMAC with the secret key)."""
    key = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, b"pending:" + user.password_hash.encode(), hashlib.sha256
                    ).hexdigest()[:32]


def begin_second_step(user: User, next_url: str | None):
    """The password was right and two-step sign-in is on: remember that for a few minutes
    in a fresh session (not signed in), and ask for the code."""
    session.clear()
    session[PENDING_KEY] = {"user": user.id, "at": int(time.time()),
                            "mark": _password_mark(user), "next": (next_url or "")[:500]}
    return redirect(url_for("auth.login_code"))


def pending() -> tuple[User, str] | None:
    """The user waiting for their code and where they were going, or None when there is no
    such sign-in, it is older than PENDING_SECONDS, or it no longer holds."""
    marker = session.get(PENDING_KEY)
    if not isinstance(marker, dict):
        return None
    user_id, at, mark = marker.get("user"), marker.get("at"), marker.get("mark")
    if not isinstance(user_id, int) or not isinstance(at, int) or not isinstance(mark, str):
        return None
    if not 0 <= time.time() - at <= PENDING_SECONDS:
        return None
    user = db.session.get(User, user_id)
    if user is None or not user.active or access_ended(user) or not hmac.compare_digest(
            mark, _password_mark(user)) or not two_step.is_on(user):
        return None  # (two-step reset meanwhile: sign in again, with the password alone)
    next_url = marker.get("next")
    return user, next_url if isinstance(next_url, str) else ""


def pending_account_key() -> str:
    """The rate limit's key for code attempts: the account waiting for its code."""
    marker = session.get(PENDING_KEY)
    user_id = marker.get("user") if isinstance(marker, dict) else None
    return f"two-step:{user_id}"


def drop_pending() -> None:
    session.pop(PENDING_KEY, None)
