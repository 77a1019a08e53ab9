"""Pages for passwords: forgotten (a link by email), reset from the link, and changing one's
own (also the step forced after a temporary password)."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, logout_user

from .. import home_for
from ..extensions import db, limiter
from ..models import utcnow
from ..saving import saving
from . import begin_session, bp, end_session, must_choose
from .forms import ChangePasswordForm, ForgotForm, ResetForm
from .resets import change_own, find_link, link_minutes, link_problem, request_link, use_link
from .views import account_key

# Where someone who must choose a new password may still go (besides static files).
# Setting up a two-step sign-in the centre requires stays open too (or each would send the
# person to the other for ever).
OPEN_WHILE_CHANGING = {"auth.change_password", "auth.logout", "auth.healthz",
                       "auth.accessibility", "account.two_step", "static", "bootstrap.static"}


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_PER_ADDRESS"], methods=["POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_PER_ACCOUNT"], methods=["POST"],
               key_func=lambda: "forgot:" + account_key())
def forgot_password():
    """Ask for a link. The answer is the same whether or not the address has an account."""
    mail_on = bool(current_app.config.get("MAIL_SERVER"))
    form = ForgotForm()
    if mail_on and form.validate_on_submit():
        with saving() as saved:
            request_link(form.email.data, now=utcnow())
        if saved.ok:
            return render_template("auth/forgot_sent.html", email=form.email.data.strip(),
                                   minutes=link_minutes())
        form.email.errors = [*form.email.errors, saved.error]
    return render_template("auth/forgot.html", form=form, mail_on=mail_on), \
        422 if form.errors else 200


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    link = find_link(token)
    problem = link_problem(link, utcnow())
    if problem:
        return render_template("auth/reset_closed.html", message=problem), \
            410 if link else 404
    form = ResetForm()
    if form.validate_on_submit():
        with saving() as saved:
            user = use_link(link, form.password.data, form.password2.data, now=utcnow())
            if current_user.is_authenticated:  # a sign-in on this browser (anyone's) ends
                end_session("signed out by a password reset")
        if saved.ok:
            if current_user.is_authenticated:
                logout_user()
            session.clear()
            flash(f"Your new password is set. Sign in with your email address ({user.email}) "
                  "and that password.", "success")
            return redirect(url_for(".login"))
        target = form[saved.field or "password"]
        target.errors = [*target.errors, saved.error]
    return render_template("auth/reset.html", form=form), 422 if form.errors else 200


@bp.route("/account/password", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_PER_ADDRESS"], methods=["POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_PER_ACCOUNT"], methods=["POST"],
               key_func=lambda: f"change-password:{current_user.get_id()}")
@login_required
def change_password():
    forced = must_choose(current_user)
    form = ChangePasswordForm()
    if form.validate_on_submit():
        with saving() as saved:
            change_own(current_user, form.current.data, form.password.data,
                       form.password2.data, forced=forced)
            begin_session(current_user)  # every other sign-in ended; this browser stays in
        if saved.ok:
            flash("Your password is changed. Anywhere else you were signed in has been "
                  "signed out.", "success")
            return redirect(home_for(current_user))
        target = form[saved.field or "password"]
        target.errors = [*target.errors, saved.error]
    return render_template("auth/change_password.html", form=form, forced=forced), \
        422 if form.errors else 200


@bp.before_app_request
def must_choose_password():
    """After a temporary password, nothing else until the person has chosen their own."""
    if (current_user.is_authenticated and must_choose(current_user)
            and request.endpoint not in OPEN_WHILE_CHANGING):
        if request.method != "GET":
            db.session.rollback()
        return redirect(url_for("auth.change_password"))
    return None
