"""The EQA sample pack: a ZIP of the chosen portfolios' signed PDFs, the sampling plan and the
sample records, with a manifest of every file's sha256."""

from __future__ import annotations

import hashlib
import json
import zipfile
from datetime import date
from pathlib import Path

from flask import current_app

from .. import audit
from ..audit import AuditAction
from ..facts import current_digest, samples_of
from ..iqa.services import plan_csv, plan_for, records_csv
from ..models import Portfolio, User, utcnow
from ..text import slug
from .services import export_portfolio


def signed_pdf(portfolio: Portfolio, *, actor: User, today: date) -> tuple[Path, str]:
    """The portfolio's signed PDF as it stands (an earlier export of the same digest, or a new
    one), and that digest."""
    digest = current_digest(portfolio)
    folder = Path(current_app.config["EXPORT_DIR"])
    pattern = f"{slug(portfolio.learner.name)}_{slug(portfolio.unit_id)}_*_{digest[:12]}.pdf"
    earlier = sorted(folder.glob(pattern)) if folder.is_dir() else []
    if earlier:
        return earlier[-1], digest
    path, _refused = export_portfolio(portfolio, actor=actor, today=today)
    return path, digest


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
                pdf, digest = signed_pdf(p, actor=actor, today=today)
            except Exception as exc:  # say whose portfolio stopped the pack, and why
                raise RuntimeError(f"{p.learner.name}'s portfolio ({p.unit_id}, portfolio "
                                   f"{p.id}): {type(exc).__name__}: {exc}") from exc
            add(f"portfolios/{pdf.name}", pdf.read_bytes(), learner=p.learner.name,
                unit=p.unit_id, assessor=p.assessor.name, iqa=p.iqa.name,
                digest=digest, signed_off=p.locked)
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
