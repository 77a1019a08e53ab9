"""Each person's own account: who they are, and their two-step sign-in."""

from flask import Blueprint, flash, redirect, request, session, url_for
from flask_login import current_user, login_required

from ..auth import SIGNED_IN_WITH, two_step

bp = Blueprint("account", __name__, url_prefix="/account")

# What someone who must set up two-step sign-in can reach before they have: the set-up page,
# signing out, the accessibility statement, the health check and static files.
SETUP_ENDPOINTS = {"account.two_step", "auth.logout", "auth.accessibility", "auth.healthz",
                   "static", "bootstrap.static"}


@bp.before_request
@login_required
def signed_in():
    """Every page here is the signed-in person's own."""


def require_two_step():
    """Before every request: staff who must use two-step sign-in (MFA_REQUIRED_FOR_STAFF)
    and have not set it up go to the set-up page, whatever they asked for."""
    if request.endpoint in SETUP_ENDPOINTS:
        return None
    if not (current_user and current_user.is_authenticated):
        return None
    if session.get(SIGNED_IN_WITH) == "oidc":
        return None  # the college's identity provider asked for its own second step
    if not two_step.required_for(current_user) or two_step.is_on(current_user):
        return None
    flash("Your centre asks staff to use two-step sign-in. Set it up to go on: it takes a "
          "minute, with an authenticator app on your phone.", "info")
    return redirect(url_for("account.two_step"))


def init_app(app) -> None:
    app.before_request(require_two_step)


from . import views  # noqa: E402,F401
