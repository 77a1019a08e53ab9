"""Keeping and erasing records: when a learner's programme ended, the portfolios past their
retention period, and erasing one with an administrator's confirmation."""

from flask import Blueprint
from flask_login import login_required

from ..access import CentreAction, require

bp = Blueprint("retention", __name__, url_prefix="/admin")


@bp.before_request
@login_required
def require_keeper():
    require(CentreAction.KEEP_RECORDS)


from . import views  # noqa: E402,F401
