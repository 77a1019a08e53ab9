"""Signing in and out."""

from flask import Blueprint

from ..access import access_ended
from ..extensions import db
from ..models import User

bp = Blueprint("auth", __name__)


def init_login(login_manager) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in to see that page."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def load_user(user_id: str):
        user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
        if user is None or not user.active or access_ended(user):
            return None  # an EQA whose grants have all ended is signed out at once
        return user


from . import views  # noqa: E402,F401  (registers the routes on bp)
