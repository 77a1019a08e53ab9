from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from wtforms import SelectChoice

from ..auth import two_step
from ..auth.services import create_user, random_password
from ..evidence.forms import ConfirmForm
from ..extensions import db
from ..models import Portfolio, Role, User
from ..portfolios.audit_views import audit_page
from ..saving import saving
from ..units import all_units, get_unit
from . import bp
from .accounts import needs_reassigning
from .forms import EnrolForm, ReassignForm, UserForm
from .services import enrol, move_to_version, reassign


@bp.route("/")
def index():
    users = db.session.scalars(select(User).order_by(User.role, User.name)).all()
    portfolios = db.session.scalars(select(Portfolio).order_by(Portfolio.id).options(
        selectinload(Portfolio.learner), selectinload(Portfolio.assessor),
        selectinload(Portfolio.iqa))).all()
    return render_template("admin/index.html", users=users, portfolios=portfolios,
                           units=all_units(),
                           waiting=[p for p in portfolios if needs_reassigning(p)],
                           two_step_on=two_step.with_two_step(),
                           mfa_required=current_app.config["MFA_REQUIRED_FOR_STAFF"])


@bp.route("/users/<int:user_id>/two-step/reset", methods=["POST"])
def reset_two_step(user_id: int):
    """For someone who has lost their phone and their recovery codes: audited."""
    user = db.session.get(User, user_id) or abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    with saving() as saved:
        two_step.reset(user, actor=current_user)
    flash(saved.error or f"Two-step sign-in reset for {user.name}: they sign in with their "
          "password alone" + (", then set it up again." if two_step.required_for(user)
                              else "."), "success" if saved.ok else "danger")
    return redirect(url_for(".index"))


@bp.route("/users/new", methods=["GET", "POST"])
def new_user():
    form = UserForm()
    if form.validate_on_submit():
        password = form.password.data or random_password()
        with saving() as saved:
            user = create_user(email=form.email.data, name=form.name.data, role=form.role.data,
                               password=password, actor=current_user)
        if not saved.ok:
            form.email.errors = [*form.email.errors, saved.error]
        else:
            message = f"Created {user.role_label.lower()} account for {user.name} ({user.email})."
            if not form.password.data:
                message += f" Their password is {password} (shown once; pass it on securely)."
            flash(message, "success")
            return redirect(url_for(".index"))
    return render_template("admin/user_form.html", form=form), 422 if form.errors else 200


def _choices(role: Role) -> list[SelectChoice]:
    people = db.session.scalars(select(User).where(User.role == role, User.active)
                                .order_by(User.name))
    return [SelectChoice(u.id, f"{u.name} ({u.email})") for u in people]


@bp.route("/enrol", methods=["GET", "POST"])
def enrol_learner():
    form = EnrolForm()
    form.learner.choices = _choices(Role.LEARNER)
    form.assessor.choices = _choices(Role.ASSESSOR)
    form.iqa.choices = _choices(Role.IQA)
    form.unit.choices = [SelectChoice(u.id, f"{u.name} ({u.reference})")
                         for u in all_units().values()]
    if form.validate_on_submit():
        with saving() as saved:
            portfolio = enrol(db.session.get(User, form.learner.data),
                              all_units()[form.unit.data],
                              db.session.get(User, form.assessor.data),
                              db.session.get(User, form.iqa.data), actor=current_user)
        if not saved.ok:
            flash(saved.error, "danger")
        else:
            flash(f"Enrolled {portfolio.learner.name}.", "success")
            return redirect(url_for(".index"))
    return render_template("admin/enrol_form.html", form=form), \
        422 if form.errors or form.is_submitted() else 200


@bp.route("/portfolios/<int:portfolio_id>/people", methods=["GET", "POST"])
def reassign_portfolio(portfolio_id: int):
    portfolio = db.session.get(Portfolio, portfolio_id) or abort(404)
    form = ReassignForm(obj=None, assessor=portfolio.assessor_id, iqa=portfolio.iqa_id)
    form.assessor.choices = _choices(Role.ASSESSOR)
    form.iqa.choices = _choices(Role.IQA)
    if form.validate_on_submit():
        with saving() as saved:
            reassign(portfolio, db.session.get(User, form.assessor.data),
                     db.session.get(User, form.iqa.data), actor=current_user)
        if not saved.ok:
            form.iqa.errors = [*form.iqa.errors, saved.error]
        else:
            flash(f"Saved: {portfolio.learner.name}'s assessor is {portfolio.assessor.name} "
                  f"and IQA {portfolio.iqa.name}.", "success")
            return redirect(url_for(".index"))
    return render_template("admin/reassign_form.html", form=form, portfolio=portfolio), \
        422 if form.errors else 200


@bp.route("/audit")
def centre_audit():
    """Every audit event in the centre, including those that name no portfolio."""
    return audit_page(None)


@bp.route("/portfolios/<int:portfolio_id>/unit-version", methods=["POST"])
def move_unit_version(portfolio_id: int):
    """Judge a portfolio against the current version of its unit's file from now on."""
    portfolio = db.session.get(Portfolio, portfolio_id) or abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    with saving() as saved:
        move_to_version(portfolio, get_unit(portfolio.unit_id), actor=current_user)
    flash(saved.error or f"{portfolio.learner.name}'s portfolio is now judged against the "
          "current version of the unit; its earlier signatures are superseded.",
          "success" if saved.ok else "danger")
    return redirect(url_for("portfolios.detail", portfolio_id=portfolio.id))
