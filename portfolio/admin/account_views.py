"""An administrator's page for one account: edit, temporary password, close and reopen."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from wtforms import SelectChoice

from ..auth.resets import set_temporary
from ..evidence.forms import ConfirmForm
from ..extensions import db
from ..models import Role, User, utcnow
from ..saving import saving
from ..units import all_units
from . import bp
from .accounts import (
    caseload,
    deactivate,
    edit_account,
    live_sessions,
    needs_reassigning,
    reactivate,
)
from .forms import AccountForm, CloseForm


def _page(user: User, form: AccountForm | None = None, close: CloseForm | None = None,
          status: int = 200):
    if form is None:
        form = AccountForm(obj=user, formdata=None)
    form.role.choices = ([SelectChoice(Role.EQA.value, Role.EQA.label)] if user.role == Role.EQA
                         else [SelectChoice(r.value, r.label) for r in Role if r != Role.EQA])
    return render_template("admin/account.html", person=user, form=form,
                           close=close or CloseForm(formdata=None), confirm=ConfirmForm(),
                           portfolios=caseload(user), units=all_units(),
                           needs_reassigning=needs_reassigning, sessions=live_sessions(user)), \
        status


def _user(user_id: int) -> User:
    return db.session.get(User, user_id) or abort(404)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
def account(user_id: int):
    user = _user(user_id)
    form = AccountForm()
    form.role.choices = [SelectChoice(r.value, r.label) for r in Role]
    if not form.validate_on_submit():
        return _page(user, form if form.is_submitted() else None,
                     status=422 if form.is_submitted() else 200)
    with saving() as saved:
        changed = edit_account(user, name=form.name.data, email=form.email.data,
                               role=form.role.data, actor=current_user)
    if not saved.ok:
        form[saved.field or "name"].errors.append(saved.error)
        return _page(user, form, status=422)
    flash(f"Saved {user.name}’s {', '.join(changed)}." + (
        " They have been signed out, so their new role applies at once."
        if "role" in changed else "") if changed else "Nothing had changed.",
          "success" if changed else "info")
    return redirect(url_for(".account", user_id=user.id))


@bp.route("/users/<int:user_id>/close", methods=["POST"])
def close_account(user_id: int):
    user = _user(user_id)
    close = CloseForm()
    if not close.validate_on_submit():
        return _page(user, close=close, status=422)
    with saving() as saved:
        flagged = deactivate(user, close.why.data, actor=current_user)
    if not saved.ok:
        close.why.errors = [*close.why.errors, saved.error]
        return _page(user, close=close, status=422)
    message = f"{user.name}’s account is closed: they are signed out and cannot sign in."
    if flagged:
        one = len(flagged) == 1
        message += (f" {len(flagged)} open portfolio{'' if one else 's'} "
                    f"need{'s' if one else ''} another assessor or IQA: marked on the "
                    "administration page.")
    flash(message, "success")
    return redirect(url_for(".account", user_id=user.id))


@bp.route("/users/<int:user_id>/reopen", methods=["POST"])
def reopen_account(user_id: int):
    user = _user(user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    with saving() as saved:
        reactivate(user, actor=current_user)
    flash(saved.error or f"{user.name}’s account is open again. They sign in with their "
          "old password, or set a temporary one for them below.",
          "success" if saved.ok else "danger")
    return redirect(url_for(".account", user_id=user.id))


@bp.route("/users/<int:user_id>/temporary-password", methods=["POST"])
def temporary_password(user_id: int):
    """The password is shown on this response only (not flashed into a cookie)."""
    user = _user(user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    with saving() as saved:
        password = set_temporary(user, actor=current_user, now=utcnow())
    if not saved.ok:
        flash(saved.error, "danger")
        return redirect(url_for(".account", user_id=user.id))
    return render_template("admin/temporary_password.html", person=user, password=password)
