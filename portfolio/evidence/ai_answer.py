"""The gate on the learner's statement of AI use: an item they wrote goes forward for
assessment (its claims are added or reworded) only once they have said whether they used AI
tools on it (see portfolio.ai_use for why)."""

from __future__ import annotations

from ..errors import DomainError
from ..models import Evidence
from ..spec import Unit


class AiUseMissing(DomainError):
    """A learner-written item without the learner's statement of AI use cannot go forward."""


def needs_ai_answer(evidence: Evidence, unit: Unit) -> bool:
    """A learner-written item whose learner has not said whether they used AI tools."""
    method = unit.methods.get(evidence.method)
    return method is not None and method.author == "learner" and evidence.ai_used is None


def ensure_ai_answered(evidence: Evidence, unit: Unit) -> None:
    if needs_ai_answer(evidence, unit):
        raise AiUseMissing(
            f"“{evidence.title}” cannot go forward for assessment until you say whether you "
            "used AI tools to produce it. Your claims below are not saved yet and are kept as "
            "you typed them: open the evidence, choose Change, answer the question on AI "
            "tools and save, then save these claims again.")
