"""Evidence items, their files, and the learner's claims against criteria."""

from flask import Blueprint

bp = Blueprint("evidence", __name__)

from . import files, redact_views, views  # noqa: E402,F401
