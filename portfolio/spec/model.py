"""What a unit is: plain dataclasses for a qualification unit, its criteria and its rules."""

from __future__ import annotations

from dataclasses import dataclass

KINDS = ("knowledge", "performance")
AUTHORS = ("learner", "assessor", "witness")
RECORDS = ("observation", "discussion")  # the layouts of an assessor's record

# What an evidence method can do for one criterion.
MEETS, SUPPORTS, NOT_EVIDENCE = "meets", "supports", "not_evidence"


class SpecError(ValueError):
    """A spec file that cannot be used. `problems` lists "file: field: message" lines."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass(frozen=True)
class Method:
    key: str
    name: str
    author: str
    description: str
    record: str = ""  # for an assessor's method: "observation" or "discussion"
    # A witness's method whose witness must state their occupational competence (expert).
    competence: bool = False


@dataclass(frozen=True)
class Range:
    """Things a criterion's evidence must cover between them, e.g. channels of contact."""

    key: str
    name: str
    items: dict[str, str]  # key -> label, in the file's order

    def labels(self, keys) -> list[str]:
        return [self.items[k] for k in self.items if k in set(keys)]


@dataclass(frozen=True)
class Criterion:
    id: str
    outcome: str
    kind: str
    verb: str
    text: str
    amplification: tuple[str, ...]
    usual_methods: tuple[str, ...]
    guidance: str
    meets: frozenset[str] = frozenset()  # methods whose accepted claim meets it
    supports: frozenset[str] = frozenset()  # methods that support it but never meet it
    min_evidence: int = 1  # separate pieces of accepted evidence that meet it
    range: str = ""  # key of the unit's range the evidence must cover, if any
    range_min: int = 0  # how many of the range's items (0: all of them)
    # What an assessor looks for in evidence of it: the centre's words (where the awarding body
    # gives no amplification), shown to learners beside the criterion and read by the ranker.
    looks_for: tuple[str, ...] = ()

    def role_of(self, method: str) -> str:
        if method in self.meets:
            return MEETS
        return SUPPORTS if method in self.supports else NOT_EVIDENCE


@dataclass(frozen=True)
class Outcome:
    number: str
    title: str
    kind: str
    criteria: tuple[Criterion, ...]
    # Methods that must appear at least once among the evidence meeting this outcome.
    required_methods: tuple[str, ...] = ()


@dataclass(frozen=True)
class Rules:
    knowledge_methods: frozenset[str]
    performance_methods: frozenset[str]
    currency_window_months: int
    # A witness's statement meets a criterion only once the assessor has verified that the
    # witness wrote it (how and when); until then it supports.
    verify_witnesses: bool = False
    # Learner-written methods whose items, declared as drafted with AI tools, only support.
    no_ai_drafting: frozenset[str] = frozenset()

    def methods_that_meet(self, kind: str) -> frozenset[str]:
        return self.performance_methods if kind == "performance" else self.knowledge_methods


@dataclass(frozen=True)
class Unit:
    id: str
    number: str
    title: str
    reference: str
    level: int
    credits: int
    guided_learning_hours: int
    unit_type: str
    summary: str
    assessment_requirements: str
    methods: dict[str, Method]
    outcomes: tuple[Outcome, ...]
    rules: Rules
    source: str
    ranges: dict[str, Range] | None = None
    version: str = ""  # sha256 of the file's text
    text: str = ""  # the file's text, kept for every version in use

    @property
    def name(self) -> str:
        return f"Unit {self.number}: {self.title}"

    @property
    def criteria(self) -> tuple[Criterion, ...]:
        return tuple(c for o in self.outcomes for c in o.criteria)

    def criterion(self, criterion_id: str) -> Criterion:
        for c in self.criteria:
            if c.id == criterion_id:
                return c
        raise KeyError(criterion_id)

    def outcome(self, number: str) -> Outcome:
        return next(o for o in self.outcomes if o.number == number)

    def methods_by(self, author: str) -> list[Method]:
        return [m for m in self.methods.values() if m.author == author]

    def method_name(self, key: str) -> str:
        method = self.methods.get(key)
        return method.name if method else key.replace("_", " ").capitalize()

    def range_of(self, criterion: Criterion) -> Range | None:
        return (self.ranges or {}).get(criterion.range) if criterion.range else None
