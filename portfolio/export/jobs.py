"""Exports and EQA packs run outside the request (queue.py), their progress in ExportJob.

A job is "waiting" while its requester already has EXPORTS_PER_PERSON jobs in hand (it starts
when one of those ends), "queued" once handed to the queue, "running" while a process works on
it, then "done" or "failed". A running job beats (ExportJob.beat_at) every few seconds; one
that stops beating for JOB_LOST_SECONDS died with its process (a killed worker, a server restart)
and is shown failed with a "start again" button. Files are written to a .part file in this
server's work folder and put into the export store whole, so no half file is ever served;
.part files left by a killed process are swept.
"""

from __future__ import annotations

import json
import threading
import time
import zipfile
from datetime import timedelta
from pathlib import Path

from flask import Flask, current_app
from sqlalchemy import func, select, update

from .. import queue
from ..blobs import Missing, sha256_of
from ..clock import uk_today
from ..errors import DomainError
from ..extensions import db
from ..models import ExportJob, Portfolio, User, utcnow
from ..units import all_units
from .document import StoreProblem
from .pack import write_pack
from .services import export_blobs, export_portfolio

IN_HAND = ("queued", "running")


def _lost_after() -> timedelta:
    """No beat for this long (JOB_LOST_SECONDS): the process doing the job died."""
    return timedelta(seconds=int(current_app.config["JOB_LOST_SECONDS"]))


def _live(*conditions) -> ExportJob | None:
    """The newest job waiting, queued or running that matches."""
    return db.session.scalar(
        select(ExportJob).where(ExportJob.status.in_(("waiting", *IN_HAND)), *conditions)
        .order_by(ExportJob.id.desc()).limit(1))


def _in_hand(user_id: int) -> int:
    return db.session.scalar(select(func.count(ExportJob.id)).where(
        ExportJob.requested_by_id == user_id, ExportJob.status.in_(IN_HAND))) or 0


def start(portfolio: Portfolio, user: User) -> ExportJob:
    """One export per portfolio at a time: a second request joins the one being made."""
    waiting = _live(ExportJob.kind == "portfolio", ExportJob.portfolio_id == portfolio.id)
    if waiting is not None:
        return refresh(waiting)
    return _launch(ExportJob(portfolio_id=portfolio.id, requested_by_id=user.id))


def start_pack(portfolios: list[Portfolio], user: User) -> ExportJob:
    """The EQA sample pack of `portfolios`, made like an export: outside the request."""
    ids = ",".join(str(p.id) for p in portfolios)
    waiting = _live(ExportJob.kind == "pack", ExportJob.requested_by_id == user.id,
                    ExportJob.portfolio_ids == ids)
    if waiting is not None:
        return refresh(waiting)
    return _launch(ExportJob(kind="pack", requested_by_id=user.id, portfolio_ids=ids))


def again(job: ExportJob, user: User) -> ExportJob:
    """A new job like a failed one (the "start again" button)."""
    if job.kind == "pack":
        return start_pack(pack_portfolios(job), user)
    return start(job.portfolio, user)


def _launch(job: ExportJob) -> ExportJob:
    allowed = int(current_app.config.get("EXPORTS_PER_PERSON", 2))
    job.status = "queued" if _in_hand(job.requested_by_id) < allowed else "waiting"
    if job.status == "waiting":
        job.step = ("Waiting for your other export or pack to finish; this one starts by "
                    "itself after it" if allowed == 1 else
                    f"Waiting: you already have {allowed} exports or packs being made; this "
                    "one starts by itself when one of them ends")
    db.session.add(job)
    db.session.commit()
    if job.status == "queued":
        _hand_over(job)
    return job


def _hand_over(job: ExportJob) -> None:
    job.queue_id = queue.enqueue("portfolio.tasks.export", job.id,
                                 timeout=int(current_app.config["JOB_SECONDS"])) or ""
    if job.queue_id:
        db.session.commit()


def _release_waiting(user_id: int) -> None:
    """Start the requester's oldest waiting job if they now have room for it."""
    allowed = int(current_app.config.get("EXPORTS_PER_PERSON", 2))
    while _in_hand(user_id) < allowed:
        # The conditional update claims the job: of two processes ending jobs at once, one
        # starts it.
        nxt = db.session.scalar(select(ExportJob.id).where(
            ExportJob.requested_by_id == user_id, ExportJob.status == "waiting")
            .order_by(ExportJob.id).limit(1))
        if nxt is None:
            return
        claimed = db.session.execute(
            update(ExportJob).where(ExportJob.id == nxt, ExportJob.status == "waiting")
            .values(status="queued", step="Waiting to start", beat_at=utcnow())).rowcount
        db.session.commit()
        if claimed:
            _hand_over(db.session.get(ExportJob, nxt))


def _beat(app: Flask, job_id: int, stop: threading.Event) -> None:
    """Keep saying this job is alive, on a connection of its own, until `stop`."""
    with app.app_context():
        every = max(1.0, app.config["JOB_LOST_SECONDS"] / 6)
        while not stop.wait(every):
            with db.engine.begin() as conn:
                conn.execute(update(ExportJob).where(ExportJob.id == job_id,
                                                     ExportJob.status == "running")
                             .values(beat_at=utcnow()))


def run(job_id: int) -> None:
    """Make the job's file (in whichever process the queue gave it to)."""
    job = db.session.get(ExportJob, job_id)
    if job is None or job.status not in IN_HAND:
        return  # deleted, or already ended (a lost job marked failed before a late start)
    stop = threading.Event()
    threading.Thread(target=_beat, args=(current_app._get_current_object(), job_id, stop),
                     daemon=True).start()
    started = time.monotonic()

    def progress(step: str, percent: int) -> None:
        job.status, job.step, job.percent, job.beat_at = "running", step, percent, utcnow()
        db.session.commit()

    try:
        progress("Starting", 1)
        if job.kind == "pack":
            job.key, job.file_name = _make_pack(job, progress)
        else:
            made = export_portfolio(job.portfolio, actor=job.requested_by, today=uk_today(),
                                    progress=progress)
            job.key, job.file_name, job.digest = made.key, made.name, made.digest
        job.status, job.step, job.percent = "done", "Done", 100
    except Exception as exc:
        db.session.rollback()
        current_app.logger.exception("export %s failed", job_id)
        job = db.session.get(ExportJob, job_id)
        if job is None:  # the job itself is gone (its portfolio deleted): nothing to report on
            return
        job.status, job.step = "failed", "Failed"
        if type(exc).__name__ == "JobTimeoutException":
            minutes = max(1, round((time.monotonic() - started) / 60))
            job.error = (f"It took longer than the {minutes} minute limit for one export, "
                         "and was stopped.")
        elif isinstance(exc, MemoryError):
            job.error = "It needed more memory than one export may use, and was stopped."
        elif isinstance(exc, StoreProblem | DomainError):  # already said in words
            job.error = str(exc)[:2000]
        else:
            job.error = f"{type(exc).__name__}: {exc}"[:2000]
    finally:
        stop.set()
    job.finished_at = utcnow()
    db.session.commit()
    _release_waiting(job.requested_by_id)


def refresh(job: ExportJob) -> ExportJob:
    """Mark a job failed if the process doing it died, and start a waiting one whose way is
    clear (should the job that held it have died without saying)."""
    now = utcnow()
    last = job.beat_at or job.created_at
    lost = False
    if job.status == "running":
        lost = now - last > _lost_after()
    elif job.status == "queued":
        # A thread of a web process that stopped, or a job Redis no longer holds. A job
        # queued behind others on a healthy queue just waits.
        lost = now - last > _lost_after() and (not job.queue_id or queue.is_lost(job.queue_id))
    if lost:
        claimed = db.session.execute(
            update(ExportJob).where(ExportJob.id == job.id, ExportJob.status == job.status)
            .values(status="failed", step="Failed", finished_at=now,
                    error="The server making it stopped (a restart, or it was stopped) "
                          "before it finished. Nothing was lost: start it again.")).rowcount
        db.session.commit()
        db.session.refresh(job)
        if claimed:
            current_app.logger.warning("export %s lost: no sign of life since %s", job.id, last)
            sweep_parts()
            _release_waiting(job.requested_by_id)  # what the lost job held back
    elif job.status == "waiting":  # its way may be clear, should the holder have died unsaid
        _release_waiting(job.requested_by_id)
        db.session.refresh(job)
    return job


def _store():
    return current_app.extensions["evidence_store"]


def sweep_parts() -> int:
    """Remove .part files no live writer can still own (older than the longest job)."""
    return _store().sweep_parts(int(current_app.config["JOB_SECONDS"]) + 60)


def pack_portfolios(job: ExportJob) -> list[Portfolio]:
    """The portfolios a pack job names that still exist, in its order: one query."""
    found = {p.id: p for p in db.session.scalars(
        select(Portfolio).where(Portfolio.id.in_(job.pack_ids)))}
    return [found[i] for i in job.pack_ids if i in found]


def _make_pack(job: ExportJob, progress) -> tuple[str, str]:
    part = _store().part(".zip")
    try:
        write_pack(pack_portfolios(job), part, actor=job.requested_by, units=all_units(),
                   today=uk_today(), progress=progress)
        key = f"packs/{job.id}.zip"
        export_blobs().put(key, part, move=True)
    finally:
        part.unlink(missing_ok=True)
    return key, f"eqa-sample-pack-{uk_today().isoformat()}-{job.id}.zip"


def job_key(job: ExportJob) -> str:
    """Where the job's file is in the export store (jobs before keys: by their file name)."""
    return job.key or (f"packs/{job.file_name}" if job.kind == "pack" else job.file_name)


def job_file(job: ExportJob) -> Path | None:
    """The finished file (the PDF, or for a pack the ZIP) on this server's disk, or None."""
    if job.status != "done" or not job.file_name:
        return None
    try:
        return export_blobs().local(job_key(job))
    except Missing:
        return None


def write_zip(job: ExportJob, pdf: Path) -> Path:
    """The signed PDF, every original file, and manifest.json with every hash, in a .part
    file of the work folder (the caller removes it)."""
    store = _store()
    target = store.part(".zip")
    manifest = {"portfolio_id": job.portfolio_id, "learner": job.portfolio.learner.name,
                "unit": job.portfolio.unit_id, "exported_at": job.finished_at.isoformat(),
                "pdf": {"name": job.file_name, "sha256": sha256_of(pdf)},
                "files": []}
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as z:
        z.write(pdf, job.file_name)
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
