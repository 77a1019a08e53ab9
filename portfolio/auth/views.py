from urllib.parse import urlsplit

from flask import (
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import text

from .. import audit, home_for, queue
from ..access import access_ended
from ..audit import AuditAction
from ..clock import UK
from ..extensions import db, limiter
from ..tokens import address_fingerprint
from . import begin_session, bp, end_session
from .forms import LoginForm
from .services import Closed, Locked, authenticate

GENERIC_FAILURE = ("That email address and password do not match an account. "
                   "Check both and try again.")


def safe_next(target: str | None) -> str | None:
    """Only a path on this site: no scheme, no host, no protocol-relative or backslash tricks."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or any(ch in target for ch in "\r\n\t\\"):
        return None
    return target


def _account_key() -> str:
    """The account a sign-in attempt is for (the email as typed, normalised)."""
    return "account:" + (request.form.get("email") or "").strip().lower()[:254]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_PER_ADDRESS"], methods=["POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_PER_ACCOUNT"], methods=["POST"],
               key_func=_account_key)
def login():
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = authenticate(form.email.data, form.password.data)
        except Locked as locked:
            flash("Too many wrong passwords in a row for this account, so signing in is paused "
                  f"until {locked.until.astimezone(UK).strftime('%H:%M')} (UK time). If that "
                  "was not you, tell your centre's administrator: someone may be guessing your "
                  "password. Otherwise wait, then try again carefully.", "danger")
            return render_template("auth/login.html", form=form, has_errors=True), 429
        except Closed:
            flash("This account has been closed by the centre, so it cannot sign in. If you "
                  "still need it, ask your centre's administrator to reopen it.", "danger")
            return render_template("auth/login.html", form=form, has_errors=True), 403
        if user is None:
            flash(GENERIC_FAILURE, "danger")
            return render_template("auth/login.html", form=form, has_errors=True), 200
        if access_ended(user):  # the password was right: say why they cannot come in
            flash("Your access as an external quality assurer has ended (or was withdrawn). "
                  "Ask the centre for a new grant if you still need it.", "danger")
            return render_template("auth/login.html", form=form, has_errors=True), 403
        session.clear()  # no session fixation: a new session for the signed-in user
        login_user(user)
        begin_session(user)
        # Kept as a keyed fingerprint only: a witness statement sent from the same address
        # is flagged to the assessor (witness/checks.py).
        user.last_login_ip = address_fingerprint(request.remote_addr,
                                                 str(current_app.config["SECRET_KEY"]))
        audit.record(AuditAction.AUTH_LOGIN, actor=user, summary=f"{user.email} signed in")
        db.session.commit()
        if user.must_change_password:
            return redirect(url_for(".change_password"))
        return redirect(safe_next(request.args.get("next")) or home_for(user))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    end_session("signed out")
    db.session.commit()
    logout_user()
    session.clear()
    flash("You have signed out.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/healthz")
def healthz():
    """For a load balancer: can this server reach the database, the job queue (with
    REDIS_URL) and the evidence store? No sign-in; says only ok or which part failed, never
    why (the log says why)."""
    store = current_app.extensions["evidence_store"]
    checks = {"database": lambda: db.session.execute(text("SELECT 1")),
              "queue": queue.check, "store": store.blobs.check}
    parts = {}
    for name, check in checks.items():
        try:
            check()
            parts[name] = "ok"
        except Exception:  # any failure of a part is a failed check, logged
            current_app.logger.exception("health check: %s", name)
            if name == "database":
                db.session.rollback()
            parts[name] = "failed"
    if not current_app.config.get("REDIS_URL"):
        parts["queue"] = "in-process"
    healthy = all(v != "failed" for v in parts.values())
    return jsonify(status="ok" if healthy else "failed", **parts), 200 if healthy else 503


@bp.route("/accessibility")
def accessibility():
    """The accessibility statement the public sector regulations ask for: open to everyone."""
    return render_template("auth/accessibility.html")


@bp.route("/")
def index():
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    return redirect(home_for(current_user))
