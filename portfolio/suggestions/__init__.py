"""Suggest criteria for an evidence item: the ranker's proposals (portfolio/suggest), each
with the sentences that support it, for a person to accept into a claim they word
themselves, or to dismiss. Nothing is ever claimed or judged here."""

from flask import Blueprint

bp = Blueprint("suggestions", __name__)

from . import views  # noqa: E402,F401  (registers the routes on bp)
