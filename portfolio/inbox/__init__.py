"""Inbox: each person's notifications, with the unread count in the navigation."""

from flask import Blueprint

bp = Blueprint("inbox", __name__, url_prefix="/inbox")

from . import views  # noqa: E402,F401
