"""The verdict as plain data and as text, for `flask coverage` and anything scripted on it.

Pure: a Coverage in, a JSON-ready dict (or lines of text) out. The dict's shape is a contract
for scripts and MIS links: keys are only ever added.
"""

from __future__ import annotations

from .coverage import ClaimView, Coverage


def _evidence(v: ClaimView, coverage: Coverage) -> dict:
    criterion = coverage.unit.criterion(v.criterion_id)
    rng = coverage.unit.range_of(criterion)
    return {"evidence_id": v.evidence.id, "title": v.evidence.title,
            "method": v.evidence.method, "dated": v.evidence.dated.isoformat(),
            "state": "withdrawn" if v.withdrawn else v.state, "role": v.role,
            "current": v.current, "decided_on": v.decided_on.isoformat() if v.decided_on
            else None, "range_items": list(v.range_items),
            "range_labels": rng.labels(v.range_items) if rng else []}


def as_dict(coverage: Coverage, *, portfolio_id: int, unit_version: str) -> dict:
    unit = coverage.unit
    return {
        "portfolio_id": portfolio_id,
        "unit": {"id": unit.id, "name": unit.name, "version": unit_version or unit.version},
        "judged_on": coverage.judged_on.isoformat(),
        "signed_on": coverage.signed_on.isoformat() if coverage.signed_on else None,
        "complete": coverage.complete, "met": coverage.met, "total": coverage.total,
        "outcomes": [{"number": o.outcome.number, "title": o.outcome.title, "met": o.met,
                      "total": o.total, "gaps": list(o.gaps)} for o in coverage.outcomes],
        "criteria": [{"id": c.criterion.id, "text": c.criterion.text, "met": c.met,
                      "status": c.status, "status_label": c.status_label,
                      "reasons": list(c.reasons), "warnings": list(c.warnings),
                      "rests_on": [_evidence(v, coverage) for v in c.meeting],
                      "claims": [_evidence(v, coverage) for v in c.claims]}
                     for c in coverage.criteria],
    }


def as_lines(coverage: Coverage, *, title: str) -> list[str]:
    when = (f"as signed off on {coverage.signed_on:%d %B %Y}" if coverage.signed_on
            else f"on {coverage.judged_on:%d %B %Y}")
    lines = [f"{title}: {coverage.met} of {coverage.total} criteria met {when}"
             + (" (complete)" if coverage.complete else "")]
    lines += [f"  ! {gap}" for gap in coverage.outcome_gaps]
    for c in coverage.criteria:
        lines.append(f"AC {c.criterion.id}: {c.status_label}")
        for v in c.meeting:
            lines.append(f"    rests on “{v.evidence.title}” ({v.evidence.method}, "
                         f"{v.evidence.dated.isoformat()}"
                         + (f", accepted {v.decided_on.isoformat()}" if v.decided_on else "")
                         + ")")
        lines += [f"    - {r}" for r in c.reasons]
        lines += [f"    ! {w}" for w in c.warnings]
    return lines
