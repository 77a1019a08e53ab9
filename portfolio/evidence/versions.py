"""Every saved version of an evidence item is kept: a snapshot of its content per version."""

from __future__ import annotations

import json

from ..changes import Changes, compare
from ..extensions import db
from ..facts import evidence_fields
from ..models import Evidence, EvidenceVersion, User


def snapshot(evidence: Evidence) -> dict:
    """The content a decision judges: fields, file hashes and the claims' rationales."""
    return {
        **evidence_fields(evidence),
        "files": [{"sha256": f.sha256, "name": f.filename, "type": f.mime_type, "size": f.size}
                  for f in evidence.files],
        "rationales": {c.criterion_id: c.rationale for c in evidence.claims},
    }


def record_version(evidence: Evidence, *, actor: User | None, note: str = "") -> EvidenceVersion:
    """Keep the item's content as version `evidence.version` (call after bumping it).

    `actor` is None for a witness, who has no account."""
    version = EvidenceVersion(number=evidence.version, saved_by_id=actor.id if actor else None,
                              note=note,
                              content_json=json.dumps(snapshot(evidence), sort_keys=True))
    evidence.versions.append(version)
    db.session.flush()
    return version


def refresh_claims(evidence: Evidence) -> None:
    """Claims added or reworded without a new version join the current version's record.

    A learner saves an item, then tags it: the tags belong to that version. Judged claims are
    never reworded without a new version, so no decided wording is ever rewritten here.
    """
    current = find_version(evidence, evidence.version)
    if current is None:
        return
    content = current.content
    content["rationales"] = {c.criterion_id: c.rationale for c in evidence.claims}
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
