"""Administration: accounts and enrolments."""

from flask import Blueprint, abort
from flask_login import current_user, login_required

from ..models import Role

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
@login_required
def require_admin():
    if current_user.role != Role.ADMIN:
        abort(403)


from . import views  # noqa: E402,F401
