"""Witness testimony through a one-time link: asked for by the learner, written and signed by
the witness without an account."""

from flask import Blueprint

bp = Blueprint("witness", __name__)

from . import views  # noqa: E402,F401
