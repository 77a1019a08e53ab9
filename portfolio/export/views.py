from pathlib import Path

from flask import (
    Blueprint,
    abort,
    after_this_request,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user, login_required
from sqlalchemy import select

from .. import audit
from ..access import (
    Action,
    CentreAction,
    can,
    get_portfolio,
    may,
    require,
    visible_portfolios_query,
)
from ..audit import AuditAction
from ..evidence.forms import ConfirmForm
from ..extensions import db
from ..models import ExportJob, Portfolio, Role, Sample
from . import jobs
from .forms import VerifyForm
from .services import verify_file

bp = Blueprint("export", __name__)


@bp.route("/portfolios/<int:portfolio_id>/export", methods=["POST"])
@login_required
def start(portfolio_id: int):
    portfolio = get_portfolio(portfolio_id, Action.EXPORT)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    return redirect(url_for(".job", job_id=jobs.start(portfolio, current_user).id))


def _job(job_id: int) -> ExportJob:
    job = db.session.get(ExportJob, job_id)
    if job is None:
        abort(404)
    if job.kind == "pack":  # a sample pack is its maker's, an IQA or admin
        if job.requested_by_id != current_user.id or not may(current_user,
                                                             CentreAction.MAKE_PACK):
            abort(404)
    else:
        get_portfolio(job.portfolio_id, Action.EXPORT)
    return jobs.refresh(job)


@bp.route("/exports/<int:job_id>")
@login_required
def job(job_id: int):
    return render_template("export/job.html", job=_job(job_id))


@bp.route("/exports/<int:job_id>/status")
@login_required
def status(job_id: int):
    """The job's progress for the page's script (the page itself works without it)."""
    found = _job(job_id)
    return jsonify({"status": found.status, "step": found.step, "percent": found.percent})


def _download(job: ExportJob, path: Path, name: str, mimetype: str, what: str):
    for portfolio in [job.portfolio] if job.portfolio else jobs.pack_portfolios(job):
        audit.record(AuditAction.PORTFOLIO_EXPORT_DOWNLOADED, actor=current_user,
                     portfolio=portfolio,
                     summary=f"Downloaded the {what} {name}", file=name, job_id=job.id)
    db.session.commit()
    response = send_file(path, mimetype=mimetype, as_attachment=True, download_name=name,
                         max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/exports/<int:job_id>/again", methods=["POST"])
@login_required
def again(job_id: int):
    """Start a failed export or pack again, with the same portfolios."""
    found = _job(job_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if found.status != "failed":
        return redirect(url_for(".job", job_id=found.id))
    return redirect(url_for(".job", job_id=jobs.again(found, current_user).id))


@bp.route("/exports/<int:job_id>/pdf")
@login_required
def download(job_id: int):
    job = _job(job_id)
    path = jobs.job_file(job)
    if path is None:
        abort(404)
    if job.kind == "pack":
        return _download(job, path, job.file_name, "application/zip", "EQA sample pack")
    return _download(job, path, job.file_name, "application/pdf", "signed PDF")


@bp.route("/exports/<int:job_id>/zip")
@login_required
def download_zip(job_id: int):
    job = _job(job_id)
    pdf = jobs.job_file(job) if job.kind != "pack" else None
    if pdf is None:
        abort(404)
    path = jobs.write_zip(job, pdf)

    @after_this_request
    def _clean(response):
        path.unlink(missing_ok=True)
        return response
    return _download(job, path, job.file_name.removesuffix(".pdf") + ".zip",
                     "application/zip", "export ZIP")


@bp.route("/verify", methods=["GET", "POST"])
@login_required
def verify():
    """Check a portfolio PDF: for IQAs, admins and EQAs."""
    require(CentreAction.VERIFY_PDF)
    form = VerifyForm()
    result, hidden = None, False
    if form.validate_on_submit():
        data = form.file.data.read(current_app.config["MAX_UPLOAD_BYTES"] * 10 + 1)
        result = verify_file(data)
        verification, portfolio, current = result
        audit.record(AuditAction.PORTFOLIO_VERIFIED, actor=current_user, portfolio=portfolio,
                     summary=f"Checked {form.file.data.filename}: "
                             + ("verified" if verification.ok else "NOT verified"),
                     digest=verification.digest)
        db.session.commit()
        if portfolio is not None and not can(current_user, Action.VIEW, portfolio):
            # The signature is checked for anyone; whether that portfolio has changed since
            # is for those who may see it.
            result, hidden = (verification, None, None), True
    return render_template("export/verify.html", form=form, result=result,
                           hidden=hidden), (
        422 if form.errors else 200)


@bp.route("/quality/pack", methods=["GET", "POST"])
@login_required
def pack():
    """The EQA sample pack, for an IQA (their portfolios) or an admin (any)."""
    require(CentreAction.MAKE_PACK)
    query = visible_portfolios_query(current_user)
    if current_user.role == Role.IQA:
        query = query.where(Portfolio.iqa_id == current_user.id)
    portfolios = db.session.scalars(query).all()
    sampled = set(db.session.scalars(select(Sample.portfolio_id).where(
        Sample.completed_at.is_not(None))))
    form = ConfirmForm()
    error = None
    if request.method == "POST" and form.validate_on_submit():
        wanted = {int(v) for v in request.form.getlist("portfolio") if v.isdigit()}
        chosen = [p for p in portfolios if p.id in wanted]
        if not chosen:
            error = "Choose at least one portfolio for the pack."
        else:
            return redirect(url_for(".job", job_id=jobs.start_pack(chosen, current_user).id))
    elif request.method == "POST":
        abort(400)
    return render_template("export/pack.html", portfolios=portfolios, sampled=sampled,
                           form=form, error=error), 422 if error else 200
