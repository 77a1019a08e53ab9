"""An evidence item's files: downloads, previews (an image, a PDF's page as a picture) and
removal. Every one goes through the same permission check as the item, is served under a
sandboxing CSP and is never cached, and every read writes an audit event."""

import os

from flask import abort, current_app, flash, redirect, request, send_file, url_for
from flask_login import current_user, login_required

from .. import audit, sandbox
from ..access import Action
from ..audit import AuditAction
from ..extensions import db
from ..models import Evidence, EvidenceFile
from ..saving import saving
from ..storage import Changed, Missing
from . import bp
from .forms import ConfirmForm
from .redact_views import earlier_file_rule
from .services import remove_file
from .versions import find_version
from .views import load_evidence, load_file

PREVIEWABLE = {"image/png", "image/jpeg"}


def _store():
    return current_app.extensions["evidence_store"]


def _read(evidence: Evidence, summary: str, sha256: str, **detail) -> None:
    audit.record(AuditAction.EVIDENCE_FILE_DOWNLOADED, actor=current_user,
                 portfolio=evidence.portfolio, summary=summary, evidence_id=evidence.id,
                 sha256=sha256, **detail)
    db.session.commit()


def _sandboxed(response):
    # Uploaded content never runs as part of our site, even if a browser is tricked into it.
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _send(evidence: Evidence, sha256: str, filename: str, mime_type: str, *,
          inline: bool = False):
    """Send a stored file as a download (or an image preview), with an audit event. Byte
    ranges are honoured (a video can be skipped through); the bytes are checked by hash."""
    path = _stored(sha256)
    _read(evidence, f"{'Previewed' if inline else 'Opened'} “{filename}”", sha256)
    return _sandboxed(send_file(path, mimetype=mime_type, as_attachment=not inline,
                                download_name=filename, max_age=0, etag=sha256,
                                conditional=True))


def _stored(sha256: str):
    """The file on this server's disk, or a 503 saying it cannot be had (and an error in the
    log for the administrator)."""
    try:
        return _store().path(sha256)
    except Missing:
        current_app.logger.error("evidence file %s missing from the store", sha256)
        abort(503, description="This file is missing from the evidence store. An administrator "
                               "has been told; the record of it is safe.")
    except Changed:
        current_app.logger.error("evidence file %s no longer matches its hash", sha256)
        abort(503, description="This file has changed in the evidence store since it was "
                               "uploaded, so it is not shown. An administrator has been told.")
    except Exception:  # the store itself cannot be reached (S3 down)
        current_app.logger.exception("evidence store unreachable reading %s", sha256)
        abort(503, description="The evidence store cannot be reached just now. Try again in "
                               "a minute; the record of this file is safe.")


@bp.route("/evidence/<int:evidence_id>/files/<int:file_id>")
@login_required
def download(evidence_id: int, file_id: int):
    evidence_file = load_file(evidence_id, file_id, Action.VIEW)
    # ?preview=1: an image shown inside the evidence page (still this permission check, the
    # same sandbox CSP and an audit event); anything else is always a download.
    inline = bool(request.args.get("preview")) and evidence_file.mime_type in PREVIEWABLE
    return _send(evidence_file.evidence, evidence_file.sha256, evidence_file.filename,
                 evidence_file.mime_type, inline=inline)


@bp.route("/evidence/<int:evidence_id>/versions/<int:number>/files/<sha256>")
@login_required
def version_file(evidence_id: int, number: int, sha256: str):
    """A file as attached to an earlier version (it may since have been removed)."""
    evidence = load_evidence(evidence_id)
    kept = find_version(evidence, number)
    entry = next((f for f in (kept.content["files"] if kept else []) if f["sha256"] == sha256),
                 None)
    if entry is None:
        abort(404)
    earlier_file_rule(evidence, entry)  # replaced by a redacted copy since
    return _send(evidence, sha256, entry["name"], entry["type"])


@bp.route("/evidence/<int:evidence_id>/files/<int:file_id>/pages/<int:page>")
@login_required
def pdf_page(evidence_id: int, file_id: int, page: int):
    """A page of an uploaded PDF as a picture, for reading it inside the evidence page: drawn
    in the sandbox (from the repaired copy) once, then kept; the same checks as a download."""
    evidence_file: EvidenceFile = load_file(evidence_id, file_id, Action.VIEW)
    if evidence_file.mime_type != "application/pdf" or not 1 <= page <= 500:
        abort(404)
    store = _store()
    picture = store.preview_path(evidence_file.sha256, page)
    if not picture.exists():
        source = store.normalised(evidence_file.sha256) or _stored(evidence_file.sha256)
        picture.parent.mkdir(parents=True, exist_ok=True)
        part = picture.with_suffix(".part")
        try:
            sandbox.run("page", source, part, extra=(str(page),))
            os.replace(part, picture)
        except sandbox.ParseFailed:
            part.unlink(missing_ok=True)
            abort(404)
    _read(evidence_file.evidence, f"Previewed page {page} of “{evidence_file.filename}”",
          evidence_file.sha256, page=page)
    return _sandboxed(send_file(picture, mimetype="image/png", max_age=0))


@bp.route("/evidence/<int:evidence_id>/files/<int:file_id>/remove", methods=["POST"])
@login_required
def remove(evidence_id: int, file_id: int):
    evidence_file = load_file(evidence_id, file_id, Action.EDIT_EVIDENCE)
    if ConfirmForm().validate_on_submit():
        with saving() as saved:
            remove_file(evidence_file, actor=current_user)
        flash(saved.error or f"Removed “{evidence_file.filename}”.",
              "success" if saved.ok else "danger")
    return redirect(url_for(".edit", evidence_id=evidence_id))
