"""Signing in with the college account: /login/oidc goes to the identity provider, which
sends the person back to /login/oidc/callback; what it says is checked (oidc_client), matched
to an existing account (oidc_accounts), and signed in through the one shared
complete_sign_in. Every refusal is the sign-in page with a message, 400, 403 or 503."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user

from .. import home_for
from ..extensions import db
from . import bp, oidc_client
from .forms import LoginForm
from .oidc_accounts import identity_from_claims, match_user
from .oidc_client import Refused
from .views import complete_sign_in, safe_next

NEXT_KEY = "oidc_next"  # in the session between the two legs: where to go once signed in


@bp.context_processor
def sign_in_options() -> dict:
    """What the sign-in page offers: the college account's button (None when it is off),
    and whether staff may still use a password."""
    config = current_app.config
    return {"college_sign_in": config["OIDC_BUTTON_LABEL"] if oidc_client.enabled(config)
            else None,
            "staff_password": config.get("PASSWORD_SIGNIN_FOR_STAFF", True)}


def redirect_uri() -> str:
    """The address registered with the provider: from PUBLIC_URL only (create_app refuses to
    start without it), never from the Host header a request brings."""
    return current_app.config["PUBLIC_URL"].rstrip("/") + url_for("auth.oidc_callback")


def refused(refusal: Refused):
    db.session.rollback()
    flash(str(refusal), "danger")
    return render_template("auth/login.html", form=LoginForm(), has_errors=True), \
        refusal.status_code


@bp.route("/login/oidc")
def oidc_start():
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    if not oidc_client.enabled(current_app.config):
        abort(404)
    session[NEXT_KEY] = safe_next(request.args.get("next"))
    try:
        return oidc_client.start(redirect_uri())
    except Refused as refusal:
        return refused(refusal)


@bp.route("/login/oidc/callback")
def oidc_callback():
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    if not oidc_client.enabled(current_app.config):
        abort(404)
    config = current_app.config
    next_url = session.pop(NEXT_KEY, None)
    try:
        identity = identity_from_claims(oidc_client.finish(),
                                        trust_email=config["OIDC_TRUST_EMAIL"],
                                        domains=config["OIDC_EMAIL_DOMAINS"])
        user = match_user(identity, domains=config["OIDC_EMAIL_DOMAINS"])
    except Refused as refusal:
        current_app.logger.info("OIDC sign-in refused: %s", refusal)
        return refused(refusal)
    return complete_sign_in(user, method="oidc", next_url=next_url)
