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
from ..models import User
from ..tokens import address_fingerprint
from . import SIGNED_IN_WITH, begin_session, bp, end_session, must_choose, two_step
from .forms import LoginForm
from .oidc_accounts import password_allowed
from .pending import begin_second_step
from .services import NO_PASSWORD, AccountLocked, Closed, authenticate

GENERIC_FAILURE = ("That email address and password do not match an account. "
                   "Check both and try again.")
STAFF_USE_COLLEGE_ACCOUNT = ("Assessors, IQAs and administrators sign in with the college "
                             "account, not a password: use “{label}” above. You have not been "
                             "signed in.")


def safe_next(target: str | None) -> str | None:
    """Only a path on this site: no scheme, no host, no protocol-relative or backslash tricks."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or any(ch in target for ch in "\r\n\t\\"):
        return None
    return target


def account_key() -> str:
    """The account a sign-in attempt (or a reset link asked for) is for: the email as typed,
    normalised."""
    return "account:" + (request.form.get("email") or "").strip().lower()[:254]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_PER_ADDRESS"], methods=["POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_PER_ACCOUNT"], methods=["POST"],
               key_func=account_key)
def login():
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = authenticate(form.email.data, form.password.data)
        except AccountLocked as locked:
            flash(locked_message(locked), "danger")
            return render_template("auth/login.html", form=form, has_errors=True), 429
        except Closed:
            flash("This account has been closed by the centre, so it cannot sign in. If you "
                  "still need it, ask your centre's administrator to reopen it.", "danger")
            return render_template("auth/login.html", form=form, has_errors=True), 403
        if user is None:
            flash(GENERIC_FAILURE, "danger")
            return render_template("auth/login.html", form=form, has_errors=True), 200
        if not password_allowed(user, current_app.config):  # the password was right
            flash(STAFF_USE_COLLEGE_ACCOUNT.format(
                label=current_app.config["OIDC_BUTTON_LABEL"]), "danger")
            return render_template("auth/login.html", form=form, has_errors=True), 403
        if access_ended(user):  # the password was right: say why they cannot come in
            flash("Your access as an external quality assurer has ended (or was withdrawn). "
                  "Ask the centre for a new grant if you still need it.", "danger")
            return render_template("auth/login.html", form=form, has_errors=True), 403
        if two_step.is_on(user):  # not signed in yet: the code comes next (/login/code)
            return begin_second_step(user, request.args.get("next"))
        return complete_sign_in(user, request.args.get("next"))
    return render_template("auth/login.html", form=form)


def locked_message(locked: AccountLocked) -> str:
    """Why signing in is refused while the account is locked, and what to do."""
    return ("Too many wrong passwords or codes in a row for this account, so signing in is "
            f"paused until {locked.until.astimezone(UK).strftime('%H:%M')} (UK time). If "
            "that was not you, tell your centre's administrator: someone may be guessing your "
            "password. Otherwise wait, then try again carefully.")


# Decision (issue 18): a sign-in with the college account (method "oidc") skips our own
# two-step code, because the college's identity provider enforces its own MFA; it goes
# straight to complete_sign_in (auth/oidc_views.py), never to begin_second_step.


def complete_sign_in(user: User, next_url: str | None = None, *, method: str = "password"):
    """Sign `user` in, once every step is passed (the password, the two-step code when it
    is on, or the college account): the one place that does it, for every way of signing
    in. A new session (no fixation), the sign-in held on the server, the count of wrong
    passwords and codes started again, the address's fingerprint, the audit event naming
    the method; commits, and redirects to the page for choosing a password after a
    temporary one, else to `next_url` if it is a local path, else the user's home."""
    session.clear()  # no session fixation: a new session for the signed-in user
    login_user(user)
    begin_session(user)
    session[SIGNED_IN_WITH] = method
    user.failed_logins, user.locked_until = 0, None
    if method == "oidc" and user.must_change_password:
        # A temporary password not needed after all: it stops working rather than lingering.
        user.password_hash, user.must_change_password = NO_PASSWORD, False
    # Kept as a keyed fingerprint only: a witness statement sent from the same address
    # is flagged to the assessor (witness/checks.py).
    user.last_login_ip = address_fingerprint(request.remote_addr,
                                             str(current_app.config["SECRET_KEY"]))
    how = " with the college account" if method == "oidc" else ""
    audit.record(AuditAction.AUTH_LOGIN, actor=user, summary=f"{user.email} signed in{how}",
                 method=method)
    db.session.commit()
    if must_choose(user):
        return redirect(url_for(".change_password"))
    return redirect(safe_next(next_url) or home_for(user))


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
