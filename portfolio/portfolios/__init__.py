"""The portfolio list and the portfolio page (tracking grid, progress, gaps), and its audit
trail."""

from flask import Blueprint

bp = Blueprint("portfolios", __name__, url_prefix="/portfolios")

from . import audit_views, views  # noqa: E402,F401
