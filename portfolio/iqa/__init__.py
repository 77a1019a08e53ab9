"""Internal quality assurance: the sampling plan, sample records, the EQA sample pack."""

from flask import Blueprint

bp = Blueprint("iqa", __name__, url_prefix="/quality")

from . import views  # noqa: E402,F401  (registers the routes on bp)
