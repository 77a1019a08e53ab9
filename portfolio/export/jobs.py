"""Exports run outside the request: a thread per export, progress saved in ExportJob.

A real deployment with several workers would hand `run()` to a job queue (see README); the
job row, the waiting page and the download stay the same.
"""

from __future__ import annotations

import hashlib
import json
import threading
import zipfile
from datetime import timedelta
from pathlib import Path

from flask import Flask, current_app
from sqlalchemy import func, select

from ..clock import uk_today
from ..errors import DomainError
from ..extensions import db
from ..models import ExportJob, Portfolio, User, utcnow
from ..units import all_units
from .pack import write_pack
from .services import export_portfolio

STALE = timedelta(minutes=30)  # a job still "running" after this died with its process


def _live(*conditions) -> ExportJob | None:
    """The newest job still queued or running (and not stale) that matches."""
    since = utcnow() - STALE
    return db.session.scalar(
        select(ExportJob).where(ExportJob.status.in_(("queued", "running")),
                                ExportJob.created_at > since, *conditions)
        .order_by(ExportJob.id.desc()).limit(1))


def _check_allowance(user: User) -> None:
    """A small number of exports and packs per person at a time (EXPORTS_PER_PERSON)."""
    allowed = int(current_app.config.get("EXPORTS_PER_PERSON", 2))
    since = utcnow() - STALE
    running = db.session.scalar(
        select(func.count(ExportJob.id)).where(ExportJob.requested_by_id == user.id,
                                               ExportJob.status.in_(("queued", "running")),
                                               ExportJob.created_at > since))
    if running >= allowed:
        raise DomainError(f"You already have {running} exports or packs being made. Wait for "
                          "one to finish (each has a progress page), then start this one.")


def start(portfolio: Portfolio, user: User) -> ExportJob:
    """One export per portfolio at a time: a second request joins the one being made."""
    waiting = _live(ExportJob.kind == "portfolio", ExportJob.portfolio_id == portfolio.id)
    if waiting is not None:
        return waiting
    _check_allowance(user)
    return _launch(ExportJob(portfolio_id=portfolio.id, requested_by_id=user.id))


def start_pack(portfolios: list[Portfolio], user: User) -> ExportJob:
    """The EQA sample pack of `portfolios`, made like an export: outside the request."""
    ids = ",".join(str(p.id) for p in portfolios)
    waiting = _live(ExportJob.kind == "pack", ExportJob.requested_by_id == user.id,
                    ExportJob.portfolio_ids == ids)
    if waiting is not None:
        return waiting
    _check_allowance(user)
    return _launch(ExportJob(kind="pack", requested_by_id=user.id, portfolio_ids=ids))


def _launch(job: ExportJob) -> ExportJob:
    db.session.add(job)
    db.session.commit()
    app = current_app._get_current_object()
    if app.config.get("EXPORT_BACKGROUND", True):
        threading.Thread(target=_run_in_app, args=(app, job.id), daemon=True).start()
    else:
        run(job.id)
    return job


def _run_in_app(app: Flask, job_id: int) -> None:
    with app.app_context():
        run(job_id)
        db.session.remove()


def run(job_id: int) -> None:
    job = db.session.get(ExportJob, job_id)

    def progress(step: str, percent: int) -> None:
        job.status, job.step, job.percent = "running", step, percent
        db.session.commit()

    try:
        progress("Starting", 1)
        if job.kind == "pack":
            path = _make_pack(job, progress)
        else:
            path, _refused = export_portfolio(job.portfolio, actor=job.requested_by,
                                              today=uk_today(), progress=progress)
            job.digest = path.stem.rsplit("_", 1)[-1]
        job.file_name, job.status, job.step, job.percent = path.name, "done", "Done", 100
    except Exception as exc:
        db.session.rollback()
        current_app.logger.exception("export %s failed", job_id)
        job = db.session.get(ExportJob, job_id)
        if job is None:  # the job itself is gone (its portfolio deleted): nothing to report on
            return
        job.status, job.step = "failed", "Failed"
        job.error = f"{type(exc).__name__}: {exc}"[:2000]
    job.finished_at = utcnow()
    db.session.commit()


def refresh(job: ExportJob) -> ExportJob:
    """Mark a job failed if its process died under it."""
    if job.status in ("queued", "running") and utcnow() - job.created_at > STALE:
        job.status, job.step = "failed", "Failed"
        job.error = "The export stopped (the server restarted?). Start it again."
        db.session.commit()
    return job


def pack_portfolios(job: ExportJob) -> list[Portfolio]:
    """The portfolios a pack job names that still exist, in its order: one query."""
    found = {p.id: p for p in db.session.scalars(
        select(Portfolio).where(Portfolio.id.in_(job.pack_ids)))}
    return [found[i] for i in job.pack_ids if i in found]


def _make_pack(job: ExportJob, progress) -> Path:
    portfolios = pack_portfolios(job)
    folder = Path(current_app.config["EXPORT_DIR"]) / "packs"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"eqa-sample-pack-{uk_today().isoformat()}-{job.id}.zip"
    part = target.with_suffix(".part")
    write_pack(portfolios, part, actor=job.requested_by, units=all_units(),
               today=uk_today(), progress=progress)
    part.replace(target)
    return target


def pdf_path(job: ExportJob) -> Path:
    """The finished file: the PDF, or for a pack the ZIP."""
    folder = Path(current_app.config["EXPORT_DIR"])
    return folder / "packs" / job.file_name if job.kind == "pack" else folder / job.file_name


def write_zip(job: ExportJob, target: Path) -> Path:
    """The signed PDF, every original file, and manifest.json with every hash."""
    store = current_app.extensions["evidence_store"]
    pdf = pdf_path(job)
    manifest = {"portfolio_id": job.portfolio_id, "learner": job.portfolio.learner.name,
                "unit": job.portfolio.unit_id, "exported_at": job.finished_at.isoformat(),
                "pdf": {"name": pdf.name,
                        "sha256": hashlib.sha256(pdf.read_bytes()).hexdigest()},
                "files": []}
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as z:
        z.write(pdf, pdf.name)
        for number, evidence in enumerate(
                sorted(job.portfolio.evidence, key=lambda e: (e.dated, e.id)), start=1):
            for f in evidence.files:
                # Names are ours: E<number>-<sha prefix>-<display name>, never the upload path.
                arcname = f"evidence/E{number}-{f.sha256[:8]}-{f.filename}"
                z.write(store.path(f.sha256), arcname)
                manifest["files"].append({"evidence": f"E{number}", "title": evidence.title,
                                          "name": f.filename, "path": arcname,
                                          "sha256": f.sha256, "size": f.size,
                                          "type": f.mime_type})
        z.writestr("manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False))
    return target
