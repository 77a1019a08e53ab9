"""The portfolio digest, and signatures bound to it.

`portfolio_state()` is the canonical record of everything a signature vouches for: each
evidence item's content, file hashes and version, every claim and every decision, and the
learner's answers to assessors' records, and every witness statement with its signature. The
digest is the sha256 of that state as canonical JSON (sorted keys, no spaces, UTF-8), so it
changes when any of those change and only then. Reading, downloading or exporting changes
nothing.

A signature keeps the digest and the state it signed. It is *current* while the portfolio's
digest is unchanged and nobody has reopened the portfolio since; otherwise it is superseded,
and `what_changed()` says why in words.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from .errors import Locked
from .extensions import db
from .models import Claim, Evidence, Portfolio, Signature


def portfolio_state(portfolio: Portfolio) -> dict:
    """Everything a signature vouches for, as plain sorted data (ids, never row order)."""
    items = db.session.scalars(
        select(Evidence).where(Evidence.portfolio_id == portfolio.id)
        .options(selectinload(Evidence.files), selectinload(Evidence.responses),
                 selectinload(Evidence.witness),
                 selectinload(Evidence.claims).selectinload(Claim.decisions))
        .order_by(Evidence.id)).all()
    evidence = {}
    for e in items:
        evidence[str(e.id)] = {
            "title": e.title, "method": e.method, "dated": e.dated.isoformat(),
            "context": e.context or "", "account_md": e.account_md or "",
            "place": e.place or "",
            "start_time": e.start_time.strftime("%H:%M") if e.start_time else None,
            "duration_minutes": e.duration_minutes, "questions_md": e.questions_md or "",
            "author_id": e.author_id, "version": e.version,
            "files": sorted(f.sha256 for f in e.files),
            "claims": {c.criterion_id: {
                "rationale": c.rationale, "created_by_id": c.created_by_id,
                "decisions": [{"id": d.id, "outcome": d.outcome, "feedback": d.feedback,
                               "assessor_id": d.assessor_id,
                               "evidence_version": d.evidence_version,
                               "decided_at": d.decided_at.isoformat()}
                              for d in c.decisions]}
                for c in e.claims},
            "responses": [{"id": r.id, "response": r.response, "comment": r.comment,
                           "evidence_version": r.evidence_version} for r in e.responses],
            "witness": None if e.witness is None else {
                "name": e.witness.witness_name, "job_title": e.witness.job_title,
                "relationship": e.witness.relationship_to_learner,
                "email": e.witness.witness_email,
                "verification_contact": e.witness.verification_contact,
                "not_relative": e.witness.not_relative, "signed_name": e.witness.signed_name,
                "signed_at": e.witness.used_at.isoformat() if e.witness.used_at else None},
        }
    return {"portfolio": portfolio.id, "unit": portfolio.unit_id,
            "learner_id": portfolio.learner_id, "evidence": evidence}


def digest_of(state: dict) -> str:
    canonical = json.dumps(state, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def current_digest(portfolio: Portfolio) -> str:
    return digest_of(portfolio_state(portfolio))


def what_changed(signed: dict, now: dict) -> list[str]:
    """The differences between a signed state and the current one, in words."""
    out: list[str] = []
    before, after = signed.get("evidence", {}), now.get("evidence", {})
    for key in sorted(set(before) | set(after), key=int):
        old, new = before.get(key), after.get(key)
        if old == new:
            continue
        title = (new or old)["title"]
        if old is None:
            out.append(f"Evidence added: “{title}”.")
            continue
        if new is None:
            out.append(f"Evidence deleted: “{title}”.")
            continue
        if old["version"] != new["version"]:
            out.append(f"“{title}” revised: version {old['version']} → {new['version']}.")
        for cid in sorted(set(old["claims"]) | set(new["claims"])):
            was, now_claim = old["claims"].get(cid), new["claims"].get(cid)
            if was is None:
                out.append(f"AC {cid} claimed with “{title}”.")
            elif now_claim is None:
                out.append(f"AC {cid} no longer claimed with “{title}”.")
            else:
                for d in now_claim["decisions"][len(was["decisions"]):]:
                    out.append(f"AC {cid} on “{title}”: {d['outcome']}.")
                if was["rationale"] != now_claim["rationale"]:
                    out.append(f"AC {cid} on “{title}”: claim reworded.")
        if len(new["responses"]) > len(old["responses"]):
            latest = new["responses"][-1]
            out.append(f"“{title}”: the learner {latest['response']} the record.")
    if not out and before != after:
        out.append("Other details changed.")
    return out


@dataclass(frozen=True)
class SignatureStatus:
    signature: Signature
    current: bool
    changes: tuple[str, ...]  # why it is superseded (empty when current)


def statuses(portfolio: Portfolio, state: dict | None = None) -> list[SignatureStatus]:
    """Every signature on the portfolio, oldest first, each current or superseded and why."""
    state = state if state is not None else portfolio_state(portfolio)
    digest = digest_of(state)
    out = []
    for sig in portfolio.signatures:
        if sig.withdrawn_at is not None:
            reasons = [f"The portfolio was reopened: {sig.withdrawn_reason}"]
            if sig.digest != digest:
                reasons += what_changed(json.loads(sig.state_json), state)
            out.append(SignatureStatus(sig, False, tuple(reasons)))
        elif sig.digest != digest:
            changes = what_changed(json.loads(sig.state_json), state) or ["Changed since."]
            out.append(SignatureStatus(sig, False, tuple(changes)))
        else:
            out.append(SignatureStatus(sig, True, ()))
    return out


def ensure_unlocked(portfolio: Portfolio) -> None:
    """Every change to evidence, claims, decisions and records checks this first."""
    if portfolio.locked:
        raise Locked("This portfolio has been signed off, so nothing in it can change. The "
                     "assessor or an administrator can reopen it, giving a reason.")
