"""`flask store verify`: re-hash every stored evidence file and find every finished export,
and say which are missing or changed, with the evidence item, portfolio and name of each."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from sqlalchemy import select

from .blobs import Missing
from .extensions import db
from .models import Evidence, EvidenceFile, EvidenceVersion, ExportJob


@dataclass
class StoreReport:
    checked: int = 0
    bytes: int = 0
    missing: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    exports_checked: int = 0
    exports_missing: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.missing or self.changed or self.exports_missing)


def _referenced() -> dict[str, str]:
    """Every hash a record names (current files and those of earlier versions, except the
    originals a redaction removed), each with words saying where it is used."""
    named: dict[str, str] = {}
    rows = db.session.execute(
        select(EvidenceFile.sha256, EvidenceFile.filename, Evidence.id, Evidence.portfolio_id)
        .join(Evidence, EvidenceFile.evidence_id == Evidence.id))
    for sha256, filename, evidence_id, portfolio_id in rows:
        named.setdefault(sha256, f"“{filename}” of evidence {evidence_id} "
                                 f"(portfolio {portfolio_id})")
    for evidence_id, content in db.session.execute(
            select(EvidenceVersion.evidence_id, EvidenceVersion.content_json)):
        for f in json.loads(content).get("files", []):
            if f.get("redacted_in") and not f.get("kept"):
                continue  # removed at redaction, on purpose (evidence/redaction.py)
            named.setdefault(f["sha256"], f"“{f['name']}” of an earlier version of evidence "
                                          f"{evidence_id}")
    return named


def verify_store(store, export_blobs, progress=lambda done, total: None) -> StoreReport:
    report = StoreReport()
    named = _referenced()
    for number, (sha256, where) in enumerate(sorted(named.items()), start=1):
        progress(number, len(named))
        key = store.key(sha256)
        try:
            found = store.blobs.hash(key)
            report.bytes += store.blobs.size(key)
        except Missing:
            report.missing.append(f"{sha256}  {where}")
            continue
        report.checked += 1
        if found != sha256:
            report.changed.append(f"{sha256}  {where} (its bytes now hash to {found})")
    for job in db.session.scalars(select(ExportJob).where(ExportJob.status == "done",
                                                          ExportJob.key != "")):
        report.exports_checked += 1
        if not export_blobs.exists(job.key):
            report.exports_missing.append(f"{job.key}  export {job.id} ({job.file_name})")
    return report
