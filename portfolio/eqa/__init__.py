"""External quality assurers: grants, invitations, the log of what they view."""

from flask import Blueprint

bp = Blueprint("eqa", __name__)

from . import views  # noqa: E402,F401  (registers the routes on bp)
