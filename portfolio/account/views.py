from flask import current_app, flash, redirect, render_template, session, url_for
from flask_login import current_user
from markupsafe import Markup

from .. import home_for, totp
from ..auth import SESSION_KEY, two_step
from ..auth.services import AccountLocked
from ..auth.views import locked_message
from ..errors import DomainError
from ..extensions import db
from ..models import utcnow
from . import bp
from .forms import EnrolForm, NewCodesForm, TurnOffForm


def _attempt(change):
    """saving()'s rule, keeping the kind of refusal (so the view knows which field it is
    about): (the result, None) committed, or (None, the refusal) rolled back."""
    try:
        result = change()
    except DomainError as refused:
        db.session.rollback()
        return None, refused
    db.session.commit()
    return result, None


def _reason(refused: DomainError) -> str:
    return locked_message(refused) if isinstance(refused, AccountLocked) else str(refused)


def _account_page(codes_form=None, off_form=None):
    user = current_user
    record = two_step.record_of(user)
    on = record is not None and record.enabled_at is not None
    errors = bool((codes_form and codes_form.errors) or (off_form and off_form.errors))
    return render_template(
        "account/index.html", on=on, since=record.enabled_at if on else None,
        codes_left=two_step.codes_left(user) if on else 0,
        required=two_step.required_for(user), codes_form=codes_form or NewCodesForm(),
        off_form=off_form or TurnOffForm(), has_errors=errors), 422 if errors else 200


@bp.route("")
def index():
    return _account_page()


def _codes_page(codes: list[str], *, first: bool):
    return render_template("account/recovery_codes.html", codes=codes, first=first,
                           home=home_for(current_user))


@bp.route("/two-step", methods=["GET", "POST"], endpoint="two_step")
def two_step_setup():
    """Set up: the QR code and the key as text, then a code from the app to confirm it
    works before it is turned on; the recovery codes are shown once, on the page that
    answers."""
    if two_step.is_on(current_user):
        flash("Two-step sign-in is already on for your account.", "info")
        return redirect(url_for(".index"))
    secret, refused = _attempt(lambda: two_step.start_enrolment(current_user))
    if refused:
        flash(_reason(refused), "danger")
        return redirect(url_for(".index"))
    form = EnrolForm()
    if form.validate_on_submit():
        codes, refused = _attempt(lambda: two_step.confirm_enrolment(
            current_user, form.code.data, now=utcnow(), keep_session=session.get(SESSION_KEY)))
        if not refused:
            return _codes_page(codes, first=True)
        form.code.errors = [*form.code.errors, _reason(refused)]
    issuer = current_app.config["CENTRE_NAME"]
    uri = totp.provisioning_uri(secret, account=current_user.email, issuer=issuer)
    return render_template("account/two_step.html", form=form, issuer=issuer,
                           qr=Markup(totp.qr_svg(uri)),  # noqa: S704 (segno's own SVG)
                           key=totp.grouped(secret), required=two_step.required_for(
                               current_user)), 422 if form.errors else 200


@bp.route("/two-step/recovery-codes", methods=["POST"])
def recovery_codes():
    form = NewCodesForm()
    if form.validate_on_submit():
        codes, refused = _attempt(lambda: two_step.make_recovery_codes(
            current_user, form.current_password.data))
        if not refused:
            return _codes_page(codes, first=False)
        form.current_password.errors = [*form.current_password.errors, _reason(refused)]
    return _account_page(codes_form=form)


@bp.route("/two-step/off", methods=["POST"])
def turn_off():
    form = TurnOffForm()
    if form.validate_on_submit():
        _, refused = _attempt(lambda: two_step.turn_off(
            current_user, form.current_password.data, form.code.data, now=utcnow()))
        if not refused:
            flash("Two-step sign-in is off: signing in needs your password only. Your "
                  "recovery codes no longer work.", "success")
            return redirect(url_for(".index"))
        about_code = isinstance(refused, two_step.WrongCode | two_step.SecretUnreadable)
        field = form.code if about_code else form.current_password
        field.errors = [*field.errors, _reason(refused)]
    return _account_page(off_form=form)
