"""The portfolio digest, and signatures bound to it.

`facts.portfolio_state()` is the canonical record of everything a signature vouches for: each
evidence item's content, file hashes and version, every claim (with its quoted passage, where
it has one) and every decision, and the learner's answers to assessors' records, and every
witness statement with its signature. The digest is the sha256 of that state as canonical
JSON (sorted keys, no spaces, UTF-8), so it changes when any of those change and only then.
Reading, downloading or exporting changes nothing.

A signature keeps the digest and the state it signed. It is *current* while the portfolio's
digest is unchanged and nobody has reopened the portfolio since; otherwise it is superseded,
and `what_changed()` says why in words.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # annotations only: this module runs no query and imports no database
    from .models import Signature


def digest_of(state: dict) -> str:
    canonical = json.dumps(state, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def what_changed(signed: dict, now: dict) -> list[str]:
    """The differences between a signed state and the current one, in words."""
    out: list[str] = []
    if signed.get("unit_version", "") != now.get("unit_version", signed.get("unit_version", "")):
        out.append(f"Moved to another version of the unit "
                   f"({signed.get('unit_version', '')[:12] or 'unrecorded'} → "
                   f"{now['unit_version'][:12]}).")
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
                if now_claim.get("withdrawn") and not was.get("withdrawn"):
                    out.append(f"AC {cid} on “{title}”: claim withdrawn "
                               f"({now_claim['withdrawn']['reason']}).")
                if was.get("range", []) != now_claim.get("range", []):
                    out.append(f"AC {cid} on “{title}”: range items changed.")
                if was.get("quote") != now_claim.get("quote"):
                    out.append(_quote_change(cid, title, was.get("quote"),
                                             now_claim.get("quote")))
        if (new.get("witness") or {}).get("verified") and not (
                old.get("witness") or {}).get("verified"):
            out.append(f"“{title}”: the assessor verified the testimony with the witness.")
        if old.get("ai_use") != new.get("ai_use"):
            out.append(f"“{title}”: the learner’s statement of AI use changed.")
        if len(new["responses"]) > len(old["responses"]):
            latest = new["responses"][-1]
            out.append(f"“{title}”: the learner {latest['response']} the record.")
    if not out and before != after:
        out.append("Other details changed.")
    return out


def _quote_change(cid: str, title: str, was: dict | None, now: dict | None) -> str:
    if now is None:
        return f"AC {cid} on “{title}”: quoted passage taken away."
    if was is None:
        return f"AC {cid} on “{title}”: passage quoted."
    if now.get("flag") == "lost" and was.get("flag") != "lost":
        return f"AC {cid} on “{title}”: the quoted passage is no longer in the evidence."
    if was.get("text") != now.get("text"):
        return f"AC {cid} on “{title}”: quoted passage changed."
    return f"AC {cid} on “{title}”: quoted passage found again in version {now['version']}."


@dataclass(frozen=True)
class SignatureStatus:
    signature: Signature
    current: bool
    changes: tuple[str, ...]  # why it is superseded (empty when current)


def comparable(state: dict, signed: dict) -> dict:
    """`state` as a signature made before unit versions were recorded would have seen it:
    such a signature vouched for everything but the version, so it is compared without it."""
    if "unit_version" in signed or "unit_version" not in state:
        return state
    return {k: v for k, v in state.items() if k != "unit_version"}


def statuses(signatures: list[Signature], state: dict) -> list[SignatureStatus]:
    """Each signature (oldest first) current or superseded against `state`, and why."""
    out = []
    for sig in signatures:
        signed = json.loads(sig.state_json)
        now = comparable(state, signed)
        changed = sig.digest != digest_of(now)
        if sig.withdrawn_at is not None:
            reasons = [f"The portfolio was reopened: {sig.withdrawn_reason}"]
            if changed:
                reasons += what_changed(signed, now)
            out.append(SignatureStatus(sig, False, tuple(reasons)))
        elif changed:
            changes = what_changed(signed, now) or ["Changed since."]
            out.append(SignatureStatus(sig, False, tuple(changes)))
        else:
            out.append(SignatureStatus(sig, True, ()))
    return out
