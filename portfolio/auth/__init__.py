"""Signing in and out."""

from flask import Blueprint, current_app, session
from sqlalchemy import select

from ..access import access_ended
from ..extensions import db
from ..models import LoginSession, User, utcnow
from ..tokens import hash_token, new_token

SESSION_KEY = "sign_in"  # in the signed session cookie: the key of its LoginSession row
SIGNED_IN_WITH = "signed_in_with"  # "password" or "oidc": how this session was proved

bp = Blueprint("auth", __name__)


def init_login(login_manager) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in to see that page."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def load_user(user_id: str):
        """The user of this request's sign-in: only while that sign-in is held on the
        server, not ended (by signing out) and younger than SESSION_HOURS, whatever was
        sent since; one query."""
        key = session.get(SESSION_KEY)
        if not user_id.isdigit() or not isinstance(key, str) or len(key) > 100:
            return None
        since = utcnow() - current_app.permanent_session_lifetime
        user = db.session.scalar(
            select(User).join(LoginSession, LoginSession.user_id == User.id)
            .where(User.id == int(user_id), LoginSession.key_hash == hash_token(key),
                   LoginSession.ended_at.is_(None), LoginSession.created_at > since))
        if user is None or not user.active or access_ended(user):
            return None  # an EQA whose grants have all ended is signed out at once
        return user


def begin_session(user: User) -> None:
    """Hold a new sign-in on the server and give its key to this browser's session."""
    key = new_token()
    db.session.add(LoginSession(key_hash=hash_token(key), user_id=user.id))
    session[SESSION_KEY] = key


def must_choose(user: User) -> bool:
    """Signed in with a temporary password: their own must be chosen before anything else.
    (A sign-in with the college account proved who they are without it.)"""
    return bool(user.must_change_password) and session.get(SIGNED_IN_WITH) != "oidc"


def end_session(why: str) -> None:
    """End this browser's sign-in on the server: a copy of its cookie no longer works."""
    key = session.get(SESSION_KEY)
    if isinstance(key, str):
        row = db.session.scalar(select(LoginSession).where(
            LoginSession.key_hash == hash_token(key), LoginSession.ended_at.is_(None)))
        if row is not None:
            row.ended_at, row.ended_why = utcnow(), why


from . import oidc_views, password_views, second_step, views  # noqa: E402,F401  (register the routes on bp)
