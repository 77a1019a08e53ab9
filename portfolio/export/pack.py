"""The EQA sample pack: a ZIP of the chosen portfolios' signed PDFs, the sampling plan and the
sample records, with a manifest of every file's sha256."""

from __future__ import annotations

import hashlib
import json
import zipfile
from datetime import date
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from .. import audit
from ..audit import AuditAction
from ..extensions import db
from ..facts import current_digest, samples_of
from ..iqa.services import plan_csv, plan_for, records_csv
from ..models import ExportJob, Portfolio, User, utcnow
from ..text import slug
from .services import Exported, export_key, export_name, export_portfolio, stored_export


def signed_pdf(portfolio: Portfolio, *, actor: User, today: date) -> Exported:
    """The portfolio's signed PDF as it stands: an earlier export of the same digest (today's
    key, or the newest finished export job that signed it), or a new one."""
    digest = current_digest(portfolio)
    name = export_name(portfolio, portfolio.unit_id, digest, today)
    found = stored_export(export_key(portfolio.id, digest, today), name, digest)
    if found is not None:
        return found
    earlier = db.session.scalar(
        select(ExportJob).where(ExportJob.portfolio_id == portfolio.id,
                                ExportJob.kind == "portfolio", ExportJob.status == "done",
                                ExportJob.digest == digest, ExportJob.key != "")
        .order_by(ExportJob.id.desc()).limit(1))
    found = earlier and stored_export(earlier.key, earlier.file_name, digest)
    return found or export_portfolio(portfolio, actor=actor, today=today)


def write_pack(portfolios: list[Portfolio], target: Path, *, actor: User, units: dict,
               today: date, progress=lambda step, percent: None) -> Path:
    manifest = {"made_at": utcnow().isoformat(), "made_by": actor.email,
                "centre": current_app.config["CENTRE_NAME"], "files": []}
    chosen = {p.id for p in portfolios}
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as z:
        def add(name: str, data: bytes, **about) -> None:
            z.writestr(name, data)
            manifest["files"].append({"path": name, "sha256": hashlib.sha256(data).hexdigest(),
                                      "size": len(data), **about})

        for number, p in enumerate(portfolios, start=1):
            progress(f"Signed PDF {number} of {len(portfolios)}: {p.learner.name}",
                     int(5 + 85 * (number - 1) / len(portfolios)))
            try:
                pdf = signed_pdf(p, actor=actor, today=today)
            except Exception as exc:  # say whose portfolio stopped the pack, and why
                raise RuntimeError(f"{p.learner.name}'s portfolio ({p.unit_id}, portfolio "
                                   f"{p.id}): {type(exc).__name__}: {exc}") from exc
            add(f"portfolios/{pdf.name}", pdf.path.read_bytes(), learner=p.learner.name,
                unit=p.unit_id, assessor=p.assessor.name, iqa=p.iqa.name,
                digest=pdf.digest, signed_off=p.locked)
        progress("The sampling plan and the sample records", 92)
        samples = []
        for iqa in sorted({p.iqa for p in portfolios}, key=lambda u: u.name):
            view = plan_for(iqa, units)
            add(f"sampling-plan-{slug(iqa.name)}.csv",
                plan_csv(view, visible=chosen).encode("utf-8"), iqa=iqa.name)
        for p in portfolios:
            samples += samples_of(p)
        add("sample-records.csv", records_csv(samples).encode("utf-8"))
        z.writestr("manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False))
    for p in portfolios:
        audit.record(AuditAction.SAMPLE_PACK_MADE, actor=actor, portfolio=p,
                     summary=f"Included in an EQA sample pack of {len(portfolios)} "
                             f"portfolio{'' if len(portfolios) == 1 else 's'}",
                     portfolios=sorted(chosen))
    return target
