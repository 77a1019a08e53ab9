from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..clock import uk_today
from ..evidence.forms import ConfirmForm
from ..extensions import db
from ..keeping import kept_until
from ..models import Portfolio
from ..saving import saving
from . import bp
from .erase import erase, refusal, remove_files
from .forms import EndForm, EraseForm
from .plan import in_words, plan_for
from .services import (
    day,
    due_for_erasure,
    enrolled_on,
    record_end,
    remove_end,
    retention_years,
)


@bp.route("/retention")
def index():
    """The portfolios whose records may be erased today, with what erasing each removes."""
    today, years = uk_today(), retention_years()
    listing = due_for_erasure(today, years, page=request.args.get("page", 1, type=int))
    return render_template("retention/index.html", listing=listing, years=years, today=today)


@bp.route("/retention/<int:portfolio_id>/erase", methods=["GET", "POST"])
def erase_portfolio(portfolio_id: int):
    """Exactly what erasing this portfolio removes, and the confirmation that erases it."""
    portfolio = db.session.get(Portfolio, portfolio_id) or abort(404)
    today, years = uk_today(), retention_years()
    plan = plan_for(portfolio, today=today, years=years)
    refused, form, status = refusal(plan), EraseForm(), 200
    if request.method == "POST":
        status = 409 if refused else 422
        if not refused and form.validate_on_submit():
            unit = portfolio.unit_id
            with saving() as saved:
                erased = erase(portfolio, actor=current_user, typed_name=form.typed_name.data,
                               today=today, years=years)
            if saved.ok:
                files = remove_files(erased)
                flash(f"Erased the records of portfolio {portfolio_id} ({unit}): "
                      f"{files.files} files removed from the store"
                      + (f", {len(plan.shared)} kept because another portfolio has them"
                         if plan.shared else "")
                      + f". The anonymised record is event {erased.tombstone_id} in the "
                        "centre audit trail.", "success")
                if files.failed:
                    flash("Some files could not be removed: " + "; ".join(files.failed[:5])
                          + ". The records are erased; ask whoever runs the store to remove "
                            "them.", "warning")
                return redirect(url_for(".index"))
            form.typed_name.errors = [*form.typed_name.errors, saved.error]
    return render_template("retention/erase.html", portfolio=portfolio, plan=plan,
                           removed=in_words(plan.removed), refused=refused, form=form,
                           years=years), status


@bp.route("/portfolios/<int:portfolio_id>/end", methods=["GET", "POST"])
def record_end_of(portfolio_id: int):
    """Record, or correct, when the learner's programme ended and why."""
    portfolio = db.session.get(Portfolio, portfolio_id) or abort(404)
    form = EndForm(ended_on=portfolio.ended_on, reason=portfolio.end_reason or None)
    years = retention_years()
    if form.validate_on_submit():
        with saving() as saved:
            record_end(portfolio, form.ended_on.data, form.reason.data, actor=current_user,
                       today=uk_today())
        if saved.ok:
            flash(f"Saved: {portfolio.learner.name}'s programme ended "
                  f"{day(portfolio.ended_on)}; the records are kept until "
                  f"{day(kept_until(portfolio.ended_on, years))}.", "success")
            return redirect(url_for("portfolios.detail", portfolio_id=portfolio.id))
        form.ended_on.errors = [*form.ended_on.errors, saved.error]
    return render_template("retention/end_form.html", form=form, portfolio=portfolio,
                           years=years, enrolled=enrolled_on(portfolio),
                           kept=kept_until(portfolio.ended_on, years),
                           confirm=ConfirmForm()), 422 if form.errors else 200


@bp.route("/portfolios/<int:portfolio_id>/end/remove", methods=["POST"])
def remove_end_of(portfolio_id: int):
    """The programme has not ended after all (the learner came back)."""
    portfolio = db.session.get(Portfolio, portfolio_id) or abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    with saving() as saved:
        remove_end(portfolio, actor=current_user)
    flash(saved.error or f"Removed the end of {portfolio.learner.name}'s programme: its "
          "records are kept until an end is recorded.", "success" if saved.ok else "danger")
    return redirect(url_for("portfolios.detail", portfolio_id=portfolio.id))
