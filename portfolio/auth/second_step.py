"""The second step of signing in: a code from the authenticator app, or a recovery code."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, url_for
from flask_login import current_user

from .. import home_for
from ..extensions import db, limiter
from ..models import utcnow
from . import bp, two_step
from .forms import CodeForm, LoginForm
from .pending import drop_pending, pending, pending_account_key
from .services import AccountLocked
from .views import complete_sign_in, locked_message


@bp.route("/login/code", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_PER_ADDRESS"], methods=["POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_PER_ACCOUNT"], methods=["POST"],
               key_func=pending_account_key)
def login_code():
    """Wrong codes count towards the same lock as wrong passwords, and are rate limited as
    /login is; the sign-in happens only here, once the code is right."""
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    waiting = pending()
    if waiting is None:
        drop_pending()
        flash("Sign in again with your email address and password: the step for the code "
              "lasts 5 minutes.", "info")
        return redirect(url_for("auth.login"))
    user, next_url = waiting
    form = CodeForm()
    if form.validate_on_submit():
        try:
            how = two_step.check_code(user, form.code.data, now=utcnow())
        except AccountLocked as locked:
            drop_pending()
            db.session.rollback()
            flash(locked_message(locked), "danger")
            return render_template("auth/login.html", form=LoginForm(formdata=None),
                                   has_errors=True), 429
        except two_step.WrongCode as wrong:
            db.session.rollback()
            form.code.errors = [*form.code.errors, str(wrong)]
        except two_step.SecretUnreadable as unreadable:
            db.session.rollback()
            form.code.errors = [*form.code.errors, str(unreadable)]
        else:
            left = two_step.codes_left(user) if how == "recovery code" else None
            response = complete_sign_in(user, next_url, method=how)
            if left is not None:
                flash(f"You signed in with a recovery code; it will not work again. You have "
                      f"{left} left: make new ones on your account page if you are running "
                      "low, and set up your app again if you have lost your phone.",
                      "warning" if left <= 3 else "info")
            return response
    return render_template("auth/login_code.html", form=form)
