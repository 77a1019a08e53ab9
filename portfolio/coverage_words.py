"""The words of the verdict: why a criterion is not met yet, and what would meet it.

Pure, like coverage.py: each reason names the evidence, the rule of the spec that applies and
what is still needed ("one more example", "range still needed: email"). Reasons never speak of
simulation about real work: they name the methods the criterion's rule accepts.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import TYPE_CHECKING

from .spec import MEETS, NOT_EVIDENCE, SUPPORTS, Criterion, Outcome, Unit

if TYPE_CHECKING:
    from .coverage import ClaimView

NUMBERS = {1: "One", 2: "Two", 3: "Three", 4: "Four", 5: "Five"}


def joined(words: list[str], last: str = "or") -> str:
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + f" {last} " + words[-1]


def in_sentence(name: str) -> str:
    """A method's name inside a sentence: "Direct observation" -> "direct observation", but
    "Recognition of prior learning (RPL)" keeps its acronym."""
    return name[:1].lower() + name[1:] if name[1:2].islower() else name


def method_list(unit: Unit, criterion: Criterion, keys: Iterable[str]) -> str:
    """Method names, the guidance's usual ones first: "direct observation or product evidence"."""
    keys = set(keys)
    order = [m for m in criterion.usual_methods if m in keys]
    order += sorted(keys - set(order), key=unit.method_name)
    return joined([in_sentence(unit.method_name(m)) for m in order])


def rule_of(unit: Unit, criterion: Criterion) -> str:
    """The criterion's rule in words: "AC 2.4 is met by a professional discussion, ..."."""
    return f"AC {criterion.id} is met by {method_list(unit, criterion, criterion.meets)}"


def hint(unit: Unit, criterion: Criterion) -> str:
    usual = [unit.methods[m].name for m in criterion.usual_methods if m in unit.methods]
    parts = []
    if usual:
        parts.append("Usually evidenced by " + ", ".join(usual).lower().capitalize() + ".")
    if criterion.guidance:
        parts.append(criterion.guidance)
    return " ".join(parts)


def outcome_gap_reason(unit: Unit, outcome: Outcome, method: str) -> str:
    return (f"Learning outcome {outcome.number} needs at least one "
            f"{in_sentence(unit.method_name(method))} that meets one of its criteria: none is "
            "accepted yet.")


def day(d: date) -> str:
    return f"{d.day} {d:%B %Y}"


def _stale(unit: Unit, c: ClaimView) -> str:
    months = unit.rules.currency_window_months
    text = (f"“{c.evidence.title}” is dated {day(c.evidence.dated)}, older than the "
            f"{months}-month currency window")
    if c.window_from is not None:
        text += f" (evidence must be dated on or after {day(c.window_from)})"
    return text + "."


def _sufficiency(criterion: Criterion, meeting: list[ClaimView]) -> list[str]:
    short = criterion.min_evidence - len(meeting)
    if short <= 0 or criterion.min_evidence == 1:  # one item: the other reasons say it all
        return []
    more = NUMBERS.get(short, str(short))
    noun = "example" if short == 1 else "examples"
    return [f"{more} more {noun} needed: AC {criterion.id} needs {criterion.min_evidence} "
            f"separate pieces of accepted evidence ({len(meeting)} so far)."]


def _range(unit: Unit, criterion: Criterion, covered: set[str]) -> list[str]:
    rng = unit.range_of(criterion)
    if rng is None:
        return []
    have = set(rng.items) & covered
    needed = criterion.range_min or len(rng.items)
    if len(have) >= needed:
        return []
    missing = [rng.items[k] for k in rng.items if k not in have]
    so_far = (f" Covered so far: {joined(rng.labels(have), 'and')}." if have else "")
    if criterion.range_min:
        return [f"Range still needed: {needed - len(have)} more of {joined(missing).lower()} "
                f"({needed} of the {len(rng.items)} {rng.name.lower()} must be covered)."
                + so_far]
    return [f"Range still needed: {joined(missing, 'and').lower()}." + so_far]


def _not_meeting(unit: Unit, criterion: Criterion, active: list[ClaimView]) -> list[str]:
    # Held back by something of its own (its method alone would meet the criterion).
    held = [c for c in active if c.role == SUPPORTS and c.evidence.support_only
            and criterion.role_of(c.evidence.method) == MEETS]
    out = [f"“{c.evidence.title}” can only support AC {criterion.id} for now: "
           f"{c.evidence.support_only}" for c in held]
    supporting = sorted({in_sentence(unit.method_name(c.evidence.method)) for c in active
                         if c.role == SUPPORTS and c not in held})
    if supporting:
        out.append(f"Only {' and '.join(supporting)} so far: it can support the claim, but "
                   f"{rule_of(unit, criterion)}.")
    for name in sorted({unit.method_name(c.evidence.method) for c in active
                        if c.role == NOT_EVIDENCE}):
        out.append(f"{name} does not count towards AC {criterion.id} in this unit: "
                   f"{rule_of(unit, criterion)}.")
    return out


def reasons_for(unit: Unit, criterion: Criterion, claims, active, awaiting, referred,
                disputed, stale, meeting, covered: set[str], window_start: date) -> list[str]:
    """Every reason a criterion is not met yet, most actionable first."""
    reasons = [f"Awaiting assessment: “{c.evidence.title}”." for c in awaiting]
    reasons += [f"Referred (“{c.evidence.title}”): {c.feedback or 'no feedback given'}"
                for c in referred]
    reasons += [f"The learner disputes the record “{c.evidence.title}”: {c.dispute} It counts "
                "once the assessor amends it and the learner confirms." for c in disputed]
    reasons += [_stale(unit, c) for c in stale]
    if active:
        reasons += _sufficiency(criterion, meeting)
        reasons += _range(unit, criterion, covered)
    reasons += [f"The claim with “{c.evidence.title}” was withdrawn by the assessor: "
                f"{c.withdrawn}" for c in claims if c.withdrawn]
    if active and not any(c.role == MEETS for c in active):
        reasons += _not_meeting(unit, criterion, active)
    if not reasons or not active:
        reasons.insert(0, "No evidence yet." if not active else
                       "No accepted evidence that meets it yet.")
    return reasons
