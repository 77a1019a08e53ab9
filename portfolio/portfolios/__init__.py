"""The portfolio list and the portfolio page (tracking grid, progress, gaps)."""

from flask import Blueprint

bp = Blueprint("portfolios", __name__, url_prefix="/portfolios")

from . import views  # noqa: E402,F401
