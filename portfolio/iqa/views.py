from flask import (
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required
from sqlalchemy import select

from .. import audit
from ..access import (
    Action,
    CentreAction,
    can,
    check,
    eqa_portfolio_ids,
    get_portfolio,
    may,
    may_see_plan,
)
from ..audit import AuditAction
from ..clock import uk_today
from ..errors import DomainError, NotAllowed
from ..evidence.forms import ConfirmForm
from ..extensions import db
from ..models import RiskRating, Role, Sample, SampleAction, User
from ..paging import page_of
from ..saving import saving
from ..text import slug
from ..units import all_units
from . import bp
from .forms import AddForm, AnswerForm, RiskForm, SampleForm
from .services import (
    CheckInput,
    add_to_plan,
    answer_action,
    complete_sample,
    open_sample,
    plan_csv,
    plan_for,
    remove_from_plan,
    sampled_decisions,
    set_risk,
)


def _plan_iqa() -> User | None:
    """Whose plan: the IQA themself; for an admin or EQA, ?iqa=<id> or the first they may see
    (None: there is none). Everyone else: 403."""
    if current_user.role == Role.IQA:
        return current_user
    if not may(current_user, CentreAction.READ_ANY_PLAN):
        abort(403)
    iqas = _iqas_for_viewer()
    wanted = request.args.get("iqa", type=int)
    return next((u for u in iqas if u.id == wanted), iqas[0] if iqas else None)


def _no_plan():
    flash("There is no sampling plan to show yet: no IQA covers "
          + ("your portfolios." if current_user.role == Role.EQA else
             "any portfolio. Create an IQA account and enrol learners with them."), "info")
    return redirect(url_for("auth.index"))


def _iqas_for_viewer() -> list[User]:
    if not may(current_user, CentreAction.READ_ANY_PLAN):
        return []
    iqas = db.session.scalars(select(User).where(User.role == Role.IQA).order_by(User.name))
    return [u for u in iqas if may_see_plan(current_user, u)]


def _visible_ids() -> set[int] | None:
    """Sample lines an EQA may see: their granted portfolios only. None: everything."""
    return eqa_portfolio_ids(current_user) if current_user.role == Role.EQA else None


@bp.route("/")
@login_required
def plan():
    iqa = _plan_iqa()
    if iqa is None:
        return _no_plan()
    view, visible = plan_for(iqa, all_units()), _visible_ids()
    own = current_user.id == iqa.id
    samples = [s for s in view.samples if visible is None or s.portfolio_id in visible]
    # Each list pages on its own; a link to a page of one keeps the other's page.
    plan_args = {k: v for k, v in (("iqa", request.args.get("iqa", type=int)),
                                   ("page", request.args.get("page", type=int)),
                                   ("samples", request.args.get("samples", type=int))) if v}
    return render_template(
        "iqa/plan.html", view=view, own=own, iqas=_iqas_for_viewer(), samples=samples,
        proposal_pages=page_of(view.plan.proposals, request.args.get("page", 1, type=int)),
        sample_pages=page_of(samples, request.args.get("samples", 1, type=int)),
        plan_args=plan_args,
        hidden=0 if visible is None else sum(s.portfolio_id not in visible
                                            for s in view.samples),
        risk_forms={a.assessor_id: RiskForm(formdata=None, prefix=f"r{a.assessor_id}",
                                            rating=view.risks[a.assessor_id].rating
                                            if a.assessor_id in view.risks else None)
                    for a in view.plan.targets},
        may_rate=own or current_user.role == Role.ADMIN, add_form=AddForm(formdata=None),
        risk_label=lambda rating: RiskRating(rating).label,
        confirm=ConfirmForm())


@bp.route("/plan.csv")
@login_required
def plan_download():
    iqa = _plan_iqa()
    if iqa is None:
        return _no_plan()
    text = plan_csv(plan_for(iqa, all_units()), visible=_visible_ids())
    audit.record(AuditAction.PLAN_DOWNLOADED, actor=current_user,
                 summary=f"Downloaded {iqa.name}'s sampling plan as CSV", iqa_id=iqa.id)
    db.session.commit()
    name = f"sampling-plan-{slug(iqa.name)}-{uk_today().isoformat()}.csv"  # ASCII only
    return Response(text, mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.route("/assessors/<int:assessor_id>/risk", methods=["POST"])
@login_required
def rate(assessor_id: int):
    assessor = db.session.get(User, assessor_id)
    if assessor is None or assessor.role != Role.ASSESSOR:
        abort(404)
    form = RiskForm(prefix=f"r{assessor_id}")
    if form.validate_on_submit():
        with saving(reraise=(NotAllowed,)) as saved:
            set_risk(assessor, form.rating.data, form.reasons.data, actor=current_user)
        flash(saved.error or f"Saved the rating for {assessor.name}.",
              "success" if saved.ok else "danger")
    else:
        flash(" ".join(e for errors in form.errors.values() for e in errors)
              or "The rating was not saved.", "danger")
    iqa_arg = request.args.get("iqa", type=int)
    return redirect(url_for(".plan", iqa=iqa_arg) + f"#assessor-{assessor_id}")


@bp.route("/plan", methods=["POST"])
@login_required
def add():
    """Add one portfolio (hand-picked or proposed), or every proposal at once."""
    form = AddForm()
    keeps_plan = may(current_user, CentreAction.KEEP_PLAN)
    if not form.validate_on_submit() or not keeps_plan:
        abort(400 if keeps_plan else 403)
    if request.form.get("all"):
        view = plan_for(current_user, all_units())
        chosen = [(p.candidate.portfolio_id, "; ".join(p.reasons)) for p in view.plan.proposals]
    elif (form.portfolio_id.data or "").isdigit():
        chosen = [(int(form.portfolio_id.data), (form.reason.data or "")[:500])]
    else:
        abort(400)
    added = 0
    for portfolio_id, reason in chosen:
        portfolio = get_portfolio(portfolio_id, Action.SAMPLE)
        try:
            add_to_plan(portfolio, actor=current_user, reason=reason)
            added += 1
        except DomainError as exc:
            flash(str(exc), "warning")
    db.session.commit()
    if added:
        flash(f"Added {added} portfolio{'' if added == 1 else 's'} to the plan.", "success")
    return redirect(url_for(".plan") + "#samples-heading")


@bp.route("/samples/<int:sample_id>/remove", methods=["POST"])
@login_required
def remove(sample_id: int):
    sample = _sample(sample_id, Action.SAMPLE)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    with saving() as saved:
        remove_from_plan(sample, actor=current_user)
    flash(saved.error or "Taken out of the plan.", "success" if saved.ok else "danger")
    return redirect(url_for(".plan") + "#samples-heading")


@bp.route("/portfolios/<int:portfolio_id>/sample", methods=["POST"])
@login_required
def start(portfolio_id: int):
    """From the portfolio page: open its waiting sample, or add it to the plan and open it."""
    portfolio = get_portfolio(portfolio_id, Action.SAMPLE)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    sample = open_sample(portfolio)
    if sample is None:
        with saving() as saved:
            sample = add_to_plan(portfolio, actor=current_user,
                                 reason="Chosen from the portfolio page")
        if not saved.ok:
            flash(saved.error, "danger")
            return redirect(url_for("portfolios.detail", portfolio_id=portfolio.id))
    return redirect(url_for(".sample", sample_id=sample.id))


def _sample(sample_id: int, action: Action) -> Sample:
    sample = db.session.get(Sample, sample_id)
    check(sample.portfolio if sample else None, action)
    return sample


def _sample_page(sample: Sample, form=None, answers=None, status=200):
    portfolio = sample.portfolio
    may_record = (not sample.completed and can(current_user, Action.SAMPLE, portfolio))
    decisions = sampled_decisions(portfolio) if may_record else []
    return render_template(
        "iqa/sample.html", sample=sample, portfolio=portfolio, decisions=decisions,
        form=form or (SampleForm(formdata=None) if may_record else None),
        answers=answers or {}, may_record=may_record,
        answer_forms={a.id: AnswerForm(formdata=None, prefix=f"a{a.id}")
                      for a in sample.actions if a.responded_at is None
                      and current_user.id == portfolio.assessor_id},
        confirm=ConfirmForm(), today=uk_today()), status


@bp.route("/samples/<int:sample_id>", methods=["GET", "POST"])
@login_required
def sample(sample_id: int):
    sample = _sample(sample_id, Action.READ_QUALITY)
    if request.method == "GET":
        return _sample_page(sample)
    check(sample.portfolio, Action.SAMPLE)
    form = SampleForm()
    answers: dict[int, CheckInput] = {}
    agree_rest = bool(request.form.get("agree_rest"))
    for decision in sampled_decisions(sample.portfolio):
        raw = request.form.get(f"agree-{decision.id}")
        agrees = {"yes": True, "no": False}.get(raw)
        answers[decision.id] = CheckInput(
            agrees=True if agrees is None and agree_rest else agrees,
            comment=request.form.get(f"comment-{decision.id}", "")[:5000])
    if form.validate_on_submit():
        actions = (form.actions.data or "").splitlines()
        with saving(reraise=(NotAllowed,)) as saved:
            complete_sample(sample, answers, form.outcome.data, form.feedback.data, actions,
                            form.due.data, actor=current_user, today=uk_today())
        if saved.ok:
            flash("Sample recorded. The assessor has been told.", "success")
            return redirect(url_for(".sample", sample_id=sample.id))
        form.form_errors.append(saved.error)
    return _sample_page(sample, form=form, answers=answers, status=422)


@bp.route("/actions/<int:action_id>/answer", methods=["POST"])
@login_required
def answer(action_id: int):
    action = db.session.get(SampleAction, action_id)
    sample = _sample(action.sample_id if action else 0, Action.READ_QUALITY)
    form = AnswerForm(prefix=f"a{action.id}")
    if form.validate_on_submit():
        with saving(reraise=(NotAllowed,)) as saved:
            answer_action(action, form.response.data, actor=current_user)
        flash(saved.error or "Answer sent to the IQA.", "success" if saved.ok else "danger")
    else:
        flash(" ".join(e for errors in form.errors.values() for e in errors), "danger")
    return redirect(url_for(".sample", sample_id=sample.id) + f"#action-{action.id}")
