"""Export a portfolio to a signed PDF in the export store, and verify one.

Exports live in their own part of the store (EXPORT_DIR, or exports/ in the S3 bucket) under
the key portfolio-<id>/<day>-<digest>.pdf: found again by that key or the ExportJob's `key`
column, never by looking through a folder."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from flask import current_app

from .. import audit
from ..audit import AuditAction
from ..blobs import LocalBlobs
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


def export_key(portfolio_id: int, digest: str, today: date) -> str:
    return f"portfolio-{portfolio_id}/{today.isoformat()}-{digest}.pdf"


def export_blobs():
    """The export store: the bucket's exports/ with STORAGE_URL, else the EXPORT_DIR folder."""
    blobs = current_app.extensions.get("export_blobs")
    return blobs if blobs is not None else LocalBlobs(current_app.config["EXPORT_DIR"])


@dataclass(frozen=True)
class Exported:
    """A signed PDF in the export store: its key, the name people download it as, the digest
    it signs, and a file on this server's disk to read it from."""

    key: str
    name: str
    digest: str
    path: Path
    refused: list[str] = field(default_factory=list)


def stored_export(key: str, name: str, digest: str) -> Exported | None:
    """An export already in the store, or None."""
    blobs = export_blobs()
    return Exported(key, name, digest, blobs.local(key)) if blobs.exists(key) else None


def export_portfolio(portfolio: Portfolio, *, actor: User | None, today: date,
                     progress: Progress = _quiet) -> Exported:
    """Build, render, append, sign; put the file into the export store. The caller commits
    (the export is audited)."""
    unit = unit_for(portfolio)
    progress("Gathering the evidence", 2)
    doc = build(portfolio, unit, today=today, store=current_app.extensions["evidence_store"])
    key = export_key(portfolio.id, doc.digest, today)
    blobs = export_blobs()
    part = current_app.extensions["evidence_store"].part(".pdf")
    try:
        with part.open("w+b") as output:  # the signed file goes to disk, never whole in memory
            refused = export_pdf(doc, portfolio.id, keys(), stylesheet(), output,
                                 centre=current_app.config["CENTRE_NAME"], progress=progress)
        size = part.stat().st_size
        blobs.put(key, part, move=True)
    finally:
        part.unlink(missing_ok=True)
    name = export_name(portfolio, unit.id, doc.digest, today)
    audit.record(AuditAction.PORTFOLIO_EXPORTED, actor=actor, portfolio=portfolio,
                 summary=f"Exported the signed PDF ({size:,} bytes)", file=name,
                 digest=doc.digest, refused=refused[:20])
    progress("Done", 100)
    return Exported(key, name, doc.digest, blobs.local(key), refused)


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
