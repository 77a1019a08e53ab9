"""Administration: accounts and enrolments, one at a time or imported from a CSV file."""

from flask import Blueprint
from flask_login import login_required

from ..access import CentreAction, require

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
@login_required
def require_admin():
    require(CentreAction.MANAGE_ACCOUNTS)


from . import account_views, import_views, views  # noqa: E402,F401  (registers the routes on bp)
