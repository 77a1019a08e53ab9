from flask import abort, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, logout_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from wtforms import SelectChoice

from ..access import CentreAction, require
from ..evidence.forms import ConfirmForm
from ..extensions import db
from ..models import EqaGrant, Portfolio, Role, utcnow
from ..saving import saving
from . import bp
from .forms import GrantForm, InvitationForm
from .services import (
    ALLOWED_ENDPOINTS,
    ALLOWED_POSTS,
    accept_invitation,
    find_invitation,
    grant_access,
    invitation_problem,
    log_view,
    revoke,
    views_of,
)


def _require_admin() -> None:
    require(CentreAction.MANAGE_EQA)


@bp.route("/admin/eqa", methods=["GET", "POST"])
@login_required
def grants():
    _require_admin()
    portfolios = db.session.scalars(select(Portfolio).order_by(Portfolio.id).options(
        selectinload(Portfolio.learner), selectinload(Portfolio.assessor))).all()
    form = GrantForm()
    form.portfolios.choices = [
        SelectChoice(p.id, f"{p.learner.name} · {p.unit_id} · assessor {p.assessor.name}"
                     + (" · signed off" if p.locked else "")) for p in portfolios]
    if form.validate_on_submit():
        chosen = [p for p in portfolios if p.id in set(form.portfolios.data)]
        with saving() as saved:
            grant, link, emailed = grant_access(
                name=form.name.data, email=form.email.data,
                organisation=form.organisation.data or "", portfolios=chosen,
                days=form.days.data, actor=current_user)
        if saved.ok:
            return render_template("eqa/granted.html", grant=grant, link=link,
                                   emailed=emailed)
        form.email.errors = [*form.email.errors, saved.error]
    all_grants = db.session.scalars(select(EqaGrant).order_by(EqaGrant.id.desc()).options(
        selectinload(EqaGrant.portfolios).selectinload(Portfolio.learner),
        selectinload(EqaGrant.eqa))).all()
    return render_template("eqa/grants.html", form=form, grants=all_grants, now=utcnow(),
                           confirm=ConfirmForm()), 422 if form.errors else 200


@bp.route("/admin/eqa/<int:grant_id>")
@login_required
def grant(grant_id: int):
    _require_admin()
    found = db.session.get(EqaGrant, grant_id) or abort(404)
    return render_template("eqa/grant.html", grant=found, views=views_of(found), now=utcnow(),
                           confirm=ConfirmForm())


@bp.route("/admin/eqa/<int:grant_id>/revoke", methods=["POST"])
@login_required
def withdraw(grant_id: int):
    _require_admin()
    found = db.session.get(EqaGrant, grant_id) or abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    with saving() as saved:
        revoke(found, actor=current_user)
    flash(saved.error or f"Withdrew {found.eqa.name}'s access. They are signed out at their "
          "next click.", "success" if saved.ok else "warning")
    return redirect(url_for(".grant", grant_id=found.id))


@bp.route("/eqa/invitation/<token>", methods=["GET", "POST"])
def invitation(token: str):
    found = find_invitation(token)
    problem = invitation_problem(found, utcnow())
    if problem:
        return render_template("eqa/invitation_closed.html", message=problem), 410 if found \
            else 404
    form = InvitationForm()
    if form.validate_on_submit():
        with saving() as saved:
            user = accept_invitation(found, form.password.data, form.password2.data,
                                     now=utcnow())
        if saved.ok:
            if current_user.is_authenticated:
                logout_user()
            session.clear()
            flash("Your password is set. Sign in with your email address "
                  f"({user.email}) and that password.", "success")
            return redirect(url_for("auth.login"))
        form.password2.errors = [*form.password2.errors, saved.error]
    return render_template("eqa/invitation.html", form=form, grant=found), \
        422 if form.errors else 200


def _signed_in_eqa() -> bool:
    return bool(current_user and current_user.is_authenticated
                and current_user.role == Role.EQA)


def guard_eqa():
    """Before each request: an EQA reaches only the read-only pages, and only while a grant
    is current (the user loader has already signed out one whose access ended)."""
    if not _signed_in_eqa():
        return None
    if request.endpoint not in ALLOWED_ENDPOINTS or (
            request.method not in ("GET", "HEAD") and request.endpoint not in ALLOWED_POSTS):
        abort(403)
    return None


def log_eqa_view(response):
    """After each request: log what an EQA opened (pages and files, refused ones too)."""
    if _signed_in_eqa() and request.endpoint not in ("static", "bootstrap.static"):
        try:
            path = request.full_path.rstrip("?")
            if request.endpoint == "eqa.invitation":  # never keep a live token in the log
                path = "/eqa/invitation/(link)"
            log_view(current_user, method=request.method, path=path,
                     endpoint=request.endpoint, status=response.status_code,
                     portfolio_id=g.get("viewed_portfolio_id"))
            db.session.commit()
        except Exception:  # the log must not turn a page into an error; it is reported
            db.session.rollback()
            current_app.logger.exception("could not log an EQA view")
    return response


def init_app(app) -> None:
    app.before_request(guard_eqa)
    app.after_request(log_eqa_view)

