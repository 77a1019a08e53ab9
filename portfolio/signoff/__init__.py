"""Declarations, sign-off, countersignature, and reopening: the portfolio's signatures page."""

from flask import Blueprint

bp = Blueprint("signoff", __name__)

from . import views  # noqa: E402,F401
