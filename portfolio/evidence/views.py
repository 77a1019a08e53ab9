import secrets

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from ..access import Action, check, get_portfolio, page_flags
from ..changes import compare
from ..clock import uk_today
from ..errors import DomainError, Locked
from ..extensions import db
from ..facts import coverage_for
from ..models import Claim, Decision, Evidence, EvidenceFile, EvidenceVersion
from ..notify import settle
from ..saving import saving
from ..units import unit_for
from ..uploads import KINDS
from . import bp
from .ai_answer import needs_ai_answer
from .claims import fixed_claims, may_tag, rewordable, set_claims
from .forms import (
    AddClaimForm,
    ConfirmForm,
    DecisionForm,
    EvidenceForm,
    ResponseForm,
    WithdrawForm,
    accepted_suggestion,
    ai_initial,
    claims_form,
    field_key,
)
from .passages import passage_view, quote_problems, shown_quotes
from .services import (
    EvidenceFields,
    StaleEdit,
    Upload,
    add_evidence,
    check_uploads,
    delete_evidence,
    ensure_editable,
    find_submission,
    update_evidence,
)
from .versions import changes_since_decision, find_version


def _store():
    return current_app.extensions["evidence_store"]


def load_evidence(evidence_id: int, action: Action = Action.VIEW) -> Evidence:
    # The page shows every claim's decisions and who made them: load them together.
    evidence = db.session.get(Evidence, evidence_id, options=[
        selectinload(Evidence.files), selectinload(Evidence.responses),
        selectinload(Evidence.versions).selectinload(EvidenceVersion.saved_by),
        selectinload(Evidence.claims).selectinload(Claim.decisions)
        .selectinload(Decision.assessor)])
    if evidence is None:
        abort(404)
    check(evidence.portfolio, action)
    return evidence


def load_file(evidence_id: int, file_id: int, action: Action) -> EvidenceFile:
    """A file of an evidence item the current user may `action`; 404 for any mismatch."""
    evidence = load_evidence(evidence_id, action)
    evidence_file = db.session.get(EvidenceFile, file_id)
    if evidence_file is None or evidence_file.evidence_id != evidence.id:
        abort(404)
    return evidence_file


def _fields(form: EvidenceForm) -> EvidenceFields:
    return EvidenceFields(title=form.title.data.strip(), method=form.method.data,
                          dated=form.dated.data, context=(form.context.data or "").strip(),
                          account_md=form.account_md.data or "", ai_use=form.ai_use())


def _checked_files(form: EvidenceForm):
    uploads = [Upload(f.stream, f.filename) for f in form.uploads()]
    return check_uploads(_store(), uploads, current_app.config["MAX_UPLOAD_BYTES"])


@bp.route("/portfolios/<int:portfolio_id>/evidence/new", methods=["GET", "POST"])
@login_required
def new(portfolio_id: int):
    portfolio = get_portfolio(portfolio_id, Action.EDIT_EVIDENCE)
    unit = unit_for(portfolio)
    if portfolio.locked:
        flash("This portfolio has been signed off, so nothing can be added until it is "
              "reopened.", "warning")
        return redirect(url_for("portfolios.detail", portfolio_id=portfolio.id))
    form = EvidenceForm(unit=unit)
    if request.method == "GET":
        form.submission_key.data = secrets.token_urlsafe(24)
        form.dated.data = uk_today()
    if form.validate_on_submit():
        key = form.submission_key.data or None
        earlier = find_submission(key) if key else None
        if earlier is not None and earlier.portfolio_id == portfolio.id:
            flash("That form was already saved (it was sent twice); here is the evidence.", "info")
            return redirect(url_for(".detail", evidence_id=earlier.id))
        try:
            files = _checked_files(form)
            evidence = add_evidence(portfolio, unit, _fields(form), files, actor=current_user,
                                    store=_store(), submission_key=key, today=uk_today())
        except DomainError as exc:
            flash(str(exc), "danger")
        else:
            try:
                db.session.commit()
            except IntegrityError:
                # The same form sent twice at once: the other request saved it first.
                db.session.rollback()
                earlier = find_submission(key) if key else None
                if earlier is None:
                    raise
                evidence = earlier
            flash("Evidence saved. Now say which criteria it meets.", "success")
            _personal_data_note(evidence)
            return redirect(url_for(".claims", evidence_id=evidence.id))
    status = 200 if request.method == "GET" else 422
    return render_template("evidence/form.html", form=form, portfolio=portfolio, unit=unit,
                           evidence=None), status


def _personal_data_note(evidence: Evidence) -> None:
    from .redact_views import found_words

    if words := found_words(evidence):
        flash(f"Personal data found in it: {words}. You can redact it on the evidence page "
              "before your assessor judges it.", "warning")


@bp.route("/evidence/<int:evidence_id>")
@login_required
def detail(evidence_id: int):
    evidence = load_evidence(evidence_id)
    if current_user.id == evidence.portfolio.learner_id:
        # The learner reads here the decisions their notices announced: those are read now.
        if settle(current_user, url_for(".detail", evidence_id=evidence.id)):
            db.session.commit()
    return render_detail(evidence)


def render_detail(evidence: Evidence, failed: dict | None = None, add_claim_form=None,
                  response_form=None, withdraw_failed: dict | None = None,
                  redact_form=None, redact_chosen: set[str] | None = None) -> str:
    """The evidence page, with what the viewer can do on it.

    For the portfolio's assessor: a decision form on each claim and a form to add a claim the
    learner missed. For the learner, on an assessor's record: confirm or dispute it; on their
    own, redact the personal data found in it. `failed` maps a claim id to a submitted
    decision form that did not validate, shown with its errors; `redact_form` and
    `redact_chosen`, a refused redaction and the boxes that were ticked.
    """
    from .redact_views import personal_context

    portfolio = evidence.portfolio
    unit = unit_for(portfolio)
    flags = page_flags(current_user, portfolio)
    can_judge, can_edit = flags.judge, flags.edit
    forms, withdraw_forms, ranges = {}, {}, {}
    if can_judge:
        forms = {c.id: (failed or {}).get(c.id) or DecisionForm(prefix=f"claim{c.id}",
                                                                 formdata=None)
                 for c in evidence.claims if not c.withdrawn}
        withdraw_forms = {c.id: (withdraw_failed or {}).get(c.id)
                          or WithdrawForm(prefix=f"w{c.id}", formdata=None)
                          for c in evidence.claims if not c.withdrawn}
        for c in evidence.claims:  # what the range boxes show: as sent, confirmed or claimed
            d = c.latest_decision
            ranges[c.id] = (request.form.getlist(f"claim{c.id}-range") if c.id in (failed or {})
                            else d.range_items if d and c.state != "awaiting"
                            else c.range_items)
        if add_claim_form is None:
            add_claim_form = AddClaimForm(formdata=None)
        claimed = {c.criterion_id for c in evidence.claims}
        add_claim_form.set_criteria(unit, claimed)
    method = unit.methods.get(evidence.method)
    is_record = method is not None and method.author == "assessor"
    if is_record and can_edit and response_form is None:
        response_form = ResponseForm(formdata=None)
    mine = can_edit and evidence.author_id == current_user.id
    readable, passages = _readable_for_page(evidence)
    can_change = mine and not evidence.locked_for_learner
    return render_template(
        "evidence/detail.html", evidence=evidence, unit=unit, method=method,
        is_record=is_record, can_edit=can_edit, can_judge=can_judge,
        can_change=can_change,
        can_delete=mine and not evidence.judged,
        can_tag=can_edit and may_tag(evidence, unit, current_user),
        can_amend=can_judge and is_record and evidence.author_id == current_user.id,
        decision_forms=forms, withdraw_forms=withdraw_forms, ranges=ranges,
        add_claim_form=add_claim_form if can_judge else None,
        response_form=response_form if is_record and can_edit else None,
        since=changes_since_decision(evidence), kinds=KINDS, confirm=ConfirmForm(),
        readable=readable, passages=passages,
        quoted=bool(shown_quotes(evidence, readable.version)),
        **_witness_context(evidence, flags),
        **personal_context(evidence, can_change=can_change, form=redact_form,
                           chosen=redact_chosen))


def _witness_context(evidence, flags) -> dict:
    """A witness's statement: the flags to check (staff only, never the learner) and, for
    the assessor, the form that records how they verified it."""
    from ..models import Role
    from ..witness.checks import VERIFICATION_LABELS, flags_for
    from ..witness.forms import VerifyForm

    request = evidence.witness
    if request is None:
        return {"witness_flags": [], "verify_form": None}
    staff = current_user.role != Role.LEARNER
    form = None
    if flags.check_witnesses and not request.verified:
        form = VerifyForm(formdata=None)
        form.on.data = uk_today()
    return {"witness_flags": flags_for(request, evidence.portfolio.learner) if staff else [],
            "verify_form": form, "verification_labels": VERIFICATION_LABELS}


@bp.route("/evidence/<int:evidence_id>/versions/<int:number>")
@login_required
def version(evidence_id: int, number: int):
    """An earlier (or the current) version of an item, exactly as it was saved."""
    evidence = load_evidence(evidence_id)
    kept = find_version(evidence, number)
    if kept is None:
        abort(404)
    previous = find_version(evidence, number - 1)
    changes = compare(previous.content, kept.content) if previous else None
    decided = [(c, d) for c in evidence.claims for d in c.decisions
               if d.evidence_version == number]
    # Redacted later with the original kept for staff only: the learner sees that, not it.
    staff_only = next((v.number for v in evidence.versions if v.number > number
                       and v.content.get("redaction", {}).get("kept")), None)
    if current_user.id != evidence.portfolio.learner_id:
        staff_only = None
    return render_template("evidence/version.html", evidence=evidence, kept=kept,
                           content=kept.content, previous=previous, changes=changes,
                           decided=decided, unit=unit_for(evidence.portfolio),
                           kinds=KINDS, staff_only=staff_only)


@bp.route("/evidence/<int:evidence_id>/edit", methods=["GET", "POST"])
@login_required
def edit(evidence_id: int):
    evidence = load_evidence(evidence_id, Action.EDIT_EVIDENCE)
    unit = unit_for(evidence.portfolio)
    try:
        ensure_editable(evidence, current_user, claim=False)
    except Locked as exc:
        flash(str(exc), "warning")
        return redirect(url_for(".detail", evidence_id=evidence.id))
    form = EvidenceForm(obj=evidence, unit=unit, **ai_initial(evidence.ai_use))
    if request.method == "GET":
        form.version.data = evidence.version
    status = 200
    if form.validate_on_submit():
        # A stale form goes to the error page (409), which shows back everything typed.
        with saving(reraise=(StaleEdit,)) as saved:
            files = _checked_files(form)
            changed = update_evidence(evidence, unit, _fields(form), files,
                                      expected_version=form.version.data or 0,
                                      actor=current_user, store=_store(), today=uk_today(),
                                      note=form.note.data or "",
                                      remove=frozenset(request.form.getlist("remove_file",
                                                                            type=int)))
        if not saved.ok:
            flash(saved.error, "danger")
            status = 422
        else:
            if not changed:
                flash("Nothing was changed, so nothing was saved.", "info")
            elif evidence.judged:
                flash(f"Saved as version {evidence.version} and resubmitted: your assessor has "
                      "been told and will judge it again.", "success")
            else:
                flash("Changes saved.", "success")
            if changed:
                _personal_data_note(evidence)
            return redirect(url_for(".detail", evidence_id=evidence.id))
    elif request.method == "POST":
        status = 422
    return render_template("evidence/form.html", form=form, portfolio=evidence.portfolio,
                           unit=unit, evidence=evidence), status


@bp.route("/evidence/<int:evidence_id>/delete", methods=["GET", "POST"])
@login_required
def delete(evidence_id: int):
    evidence = load_evidence(evidence_id, Action.EDIT_EVIDENCE)
    ensure_editable(evidence, current_user, claim=False)
    if evidence.judged:
        raise Locked("This evidence has been assessed, so it is kept with its decisions. "
                     "Revise it instead, or add new evidence.")
    form = ConfirmForm()
    if form.validate_on_submit():
        portfolio_id = evidence.portfolio_id
        title = evidence.title
        delete_evidence(evidence, actor=current_user)
        db.session.commit()
        flash(f"Deleted “{title}”.", "success")
        return redirect(url_for("portfolios.detail", portfolio_id=portfolio_id))
    return render_template("evidence/delete.html", evidence=evidence, form=form)


@bp.route("/evidence/<int:evidence_id>/claims", methods=["GET", "POST"])
@login_required
def claims(evidence_id: int):
    evidence = load_evidence(evidence_id, Action.EDIT_EVIDENCE)
    unit = unit_for(evidence.portfolio)
    if evidence.portfolio.locked:
        flash("This portfolio has been signed off, so its claims cannot change until it is "
              "reopened.", "warning")
        return redirect(url_for(".detail", evidence_id=evidence.id))
    if not may_tag(evidence, unit, current_user):
        flash(f"This is {evidence.author_name}’s record, so they choose its criteria. You can "
              "confirm it or dispute it.", "warning")
        return redirect(url_for(".detail", evidence_id=evidence.id))
    fixed = fixed_claims(evidence, current_user)
    reword = rewordable(evidence, current_user)
    existing = {}
    for c in evidence.claims:
        existing[f"claim_{field_key(c.criterion_id)}"] = True
        existing[f"rationale_{field_key(c.criterion_id)}"] = c.rationale
        existing[f"quote_{field_key(c.criterion_id)}"] = c.quote
    if request.method == "GET" and (accepted := accepted_suggestion(unit, fixed, evidence,
                                                                   request.args)):
        existing |= accepted
        flash(f"From a suggestion: AC {request.args['accept']} is ticked and the sentence "
              "that fits it is in its quote box. Say where and how this evidence meets it, "
              "in your own words, then save.", "info")
    form = claims_form(unit, fixed, reword,
                       formdata=request.form if request.method == "POST" else None,
                       data=existing)
    status = 200
    if request.method == "POST":
        if form.validate() and not _quote_errors(evidence, form):
            with saving() as saved:
                result = set_claims(evidence, unit, form.wanted(), actor=current_user,
                                    ranges=_claimed_ranges(unit), quotes=form.quotes(),
                                    keep_changed=form.keep_changed())
            if not saved.ok:  # shown again with what was typed, nothing lost
                if saved.field and f"quote_{field_key(saved.field)}" in form:
                    form[f"quote_{field_key(saved.field)}"].errors = [saved.error]
                flash(saved.error, "danger")
                return _claims_page(evidence, unit, form, fixed, reword), 422
            total = len(evidence.claims)
            if any(result.values()):
                flash(f"Claims saved: this evidence is now tagged to {total} "
                      f"criteri{'on' if total == 1 else 'a'}.", "success")
            else:
                flash("No change to the claims.", "info")
            return redirect(url_for("portfolios.detail", portfolio_id=evidence.portfolio_id))
        status = 422
        flash("Some claims need a sentence on where and how the evidence meets them, or a "
              "quote that is in the evidence.", "danger")
    return _claims_page(evidence, unit, form, fixed, reword), status


def _quote_errors(evidence, form) -> bool:
    """Put every quote that is not in the evidence beside its box; were there any?"""
    problems = quote_problems(evidence, form.quotes())
    for p in problems:
        box = form[f"quote_{field_key(p.field)}"]
        box.errors = list(box.errors) + [p.message]
    return bool(problems)


def _readable_for_page(evidence):
    """The current text and its highlighted parts; read now, it is kept (committed)."""
    found, parts = passage_view(evidence)
    if found.fresh:
        db.session.commit()
    return found, parts


def _claims_page(evidence, unit, form, fixed, reword) -> str:
    claims_by_criterion = {c.criterion_id: c for c in evidence.claims}
    ranges = (_claimed_ranges(unit) if request.method == "POST" else
              {c.criterion_id: c.range_items for c in evidence.claims})
    coverage = coverage_for(evidence.portfolio, unit, uk_today())
    readable, _ = _readable_for_page(evidence)
    return render_template("evidence/claims.html", evidence=evidence, unit=unit, form=form,
                           field_key=field_key, fixed=fixed, rewordable=reword,
                           claims=claims_by_criterion, ranges=ranges,
                           now={c.criterion.id: c for c in coverage.criteria},
                           ai_missing=needs_ai_answer(evidence, unit), readable=readable)


def _claimed_ranges(unit) -> dict[str, list[str]]:
    """The range items ticked for each criterion that has a range (range_<key> boxes)."""
    return {c.id: request.form.getlist(f"range_{field_key(c.id)}") for c in unit.criteria
            if c.range}
