"""Export a portfolio to a signed PDF file in EXPORT_DIR, and verify one."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from flask import current_app

from .. import audit
from ..audit import AuditAction
from ..extensions import db
from ..facts import current_digest
from ..models import Portfolio, User
from ..text import slug
from ..units import unit_for
from .document import build
from .keys import CentreKeys, centre_keys
from .pdf import Progress, Verification, _quiet, export_pdf, verify_pdf


def keys() -> CentreKeys:
    app = current_app
    cached = app.extensions.get("centre_keys")
    if cached is None:
        cached = app.extensions["centre_keys"] = centre_keys(app.config, app.instance_path)
    return cached


def stylesheet() -> Path:
    return Path(current_app.static_folder) / "export.css"


def export_name(portfolio: Portfolio, unit_id: str, digest: str, today: date) -> str:
    return (f"{slug(portfolio.learner.name)}_{slug(unit_id)}_{today.isoformat()}_"
            f"{digest[:12]}.pdf")


def export_portfolio(portfolio: Portfolio, *, actor: User | None, today: date,
                     progress: Progress = _quiet) -> tuple[Path, list[str]]:
    """Build, render, append, sign; write the file into EXPORT_DIR. Returns its path and the
    URLs the renderer refused. The caller commits (the export is audited)."""
    unit = unit_for(portfolio)
    progress("Gathering the evidence", 2)
    doc = build(portfolio, unit, today=today, store=current_app.extensions["evidence_store"])
    pdf, refused = export_pdf(doc, portfolio.id, keys(), stylesheet(),
                              centre=current_app.config["CENTRE_NAME"], progress=progress)
    folder = Path(current_app.config["EXPORT_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / export_name(portfolio, unit.id, doc.digest, today)
    tmp = path.with_suffix(".part")
    tmp.write_bytes(pdf)
    tmp.replace(path)
    audit.record(AuditAction.PORTFOLIO_EXPORTED, actor=actor, portfolio=portfolio,
                 summary=f"Exported the signed PDF ({len(pdf):,} bytes)", file=path.name,
                 digest=doc.digest, refused=refused[:20])
    progress("Done", 100)
    return path, refused


def verify_file(data: bytes) -> tuple[Verification, Portfolio | None, bool | None]:
    """The signature check, the portfolio it names, and whether its digest is still current.

    Only a file that verifies names a portfolio: the keywords of any other are anyone's."""
    result = verify_pdf(data, keys())
    portfolio = db.session.get(Portfolio, result.portfolio_id) if (
        result.ok and result.portfolio_id) else None
    current = None
    if portfolio is not None and result.digest:
        current = current_digest(portfolio) == result.digest
    return result, portfolio, current
