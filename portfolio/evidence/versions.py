"""Every saved version of an evidence item is kept: a snapshot of its content per version."""

from __future__ import annotations

import json
from dataclasses import asdict

from .. import audit
from ..audit import AuditAction
from ..changes import Changes, compare
from ..extensions import db
from ..facts import evidence_fields
from ..models import Evidence, EvidenceVersion, User, utcnow
from ..notify import link_to, notify
from .passages import reanchor


def _claims_content(evidence: Evidence) -> dict:
    """The claims' rationales, and their quotes where any claim has one (so a version from
    before quotes reads as it always has)."""
    out: dict = {"rationales": {c.criterion_id: c.rationale for c in evidence.claims}}
    quotes = {c.criterion_id: c.quote for c in evidence.claims if c.quote}
    if quotes:
        out["quotes"] = quotes
    return out


def snapshot(evidence: Evidence) -> dict:
    """The content a decision judges: fields, file hashes, the claims' rationales and
    quotes."""
    return {
        **evidence_fields(evidence),
        "files": [{"sha256": f.sha256, "name": f.filename, "type": f.mime_type, "size": f.size}
                  for f in evidence.files],
        **_claims_content(evidence),
    }


def record_version(evidence: Evidence, *, actor: User | None, note: str = "") -> EvidenceVersion:
    """Keep the item's content as version `evidence.version` (call after bumping it).

    Every quoted passage is then looked for in the new version (passages.reanchor), and what
    became of each goes in the audit trail. `actor` is None for a witness, who has no
    account."""
    version = EvidenceVersion(number=evidence.version, saved_by_id=actor.id if actor else None,
                              note=note,
                              content_json=json.dumps(snapshot(evidence), sort_keys=True))
    evidence.versions.append(version)
    db.session.flush()
    moved = reanchor(evidence, version.number)
    if moved:
        version.content_json = json.dumps(snapshot(evidence), sort_keys=True)
        words = {"found": "found", "changed": "passage changed",
                 "lost": "passage no longer in the evidence"}
        audit.record(AuditAction.QUOTES_REANCHORED, actor=actor, portfolio=evidence.portfolio,
                     summary=f"Quoted passages in “{evidence.title}” version {version.number}: "
                             + "; ".join(f"AC {m.criterion_id} {words[m.outcome]}"
                                         for m in moved),
                     evidence_id=evidence.id, version=version.number,
                     quotes=[asdict(m) for m in moved])
        db.session.flush()
    return version


def new_version(evidence: Evidence, *, actor: User, note: str = "") -> None:
    """A saved change makes the next version; a change to judged evidence is a resubmission:
    its claims go back for assessment, and the assessor is told."""
    evidence.version += 1
    evidence.updated_at = utcnow()
    db.session.flush()
    record_version(evidence, actor=actor, note=note)
    if evidence.judged:
        _resubmitted(evidence, actor=actor, note=note)


def _resubmitted(evidence: Evidence, *, actor: User, note: str) -> None:
    portfolio = evidence.portfolio
    audit.record(AuditAction.EVIDENCE_RESUBMITTED, actor=actor, portfolio=portfolio,
                 summary=f"Resubmitted “{evidence.title}” as version {evidence.version}",
                 evidence_id=evidence.id, version=evidence.version, note=note)
    notify(portfolio.assessor,
           f"{portfolio.learner.name} revised and resubmitted “{evidence.title}” "
           f"(version {evidence.version}).",
           link=link_to("evidence.detail", evidence_id=evidence.id), portfolio=portfolio)


def refresh_claims(evidence: Evidence) -> None:
    """Claims added or reworded without a new version join the current version's record.

    A learner saves an item, then tags it: the tags belong to that version. Judged claims are
    never reworded without a new version, so no decided wording is ever rewritten here.
    """
    current = find_version(evidence, evidence.version)
    if current is None:
        return
    content = current.content
    content.pop("quotes", None)
    content.update(_claims_content(evidence))
    current.content_json = json.dumps(content, sort_keys=True)


def find_version(evidence: Evidence, number: int) -> EvidenceVersion | None:
    return next((v for v in evidence.versions if v.number == number), None)


def last_decided_version(evidence: Evidence) -> int | None:
    """The version the most recent decision on this item judged."""
    decided = [c.latest_decision for c in evidence.claims if c.latest_decision]
    if not decided:
        return None
    return max(decided, key=lambda d: (d.decided_at, d.id)).evidence_version


def changes_since_decision(evidence: Evidence) -> tuple[EvidenceVersion, Changes] | None:
    """What changed since the version the assessor last judged, or None if nothing did."""
    number = last_decided_version(evidence)
    if number is None or number == evidence.version:
        return None
    judged = find_version(evidence, number)
    if judged is None:
        return None
    return judged, compare(judged.content, snapshot(evidence))
