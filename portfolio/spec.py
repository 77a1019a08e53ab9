"""Qualification specs: one TOML file per unit in criteria/, loaded into plain dataclasses.

Pure: imports nothing from Flask, so the coverage rules and the CLI can use it anywhere.
A broken file is refused with a SpecError naming the file and the field.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

KINDS = ("knowledge", "performance")
AUTHORS = ("learner", "assessor", "witness")
RECORDS = ("observation", "discussion")  # the layouts of an assessor's record


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


@dataclass(frozen=True)
class Outcome:
    number: str
    title: str
    kind: str
    criteria: tuple[Criterion, ...]


@dataclass(frozen=True)
class Rules:
    simulation_allowed: bool
    knowledge_methods: frozenset[str]
    performance_methods: frozenset[str]
    currency_window_months: int

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

    def methods_by(self, author: str) -> list[Method]:
        return [m for m in self.methods.values() if m.author == author]


class _Reader:
    """Collects every problem in one file instead of stopping at the first."""

    def __init__(self, source: str):
        self.source = source
        self.problems: list[str] = []

    def problem(self, field: str, message: str) -> None:
        self.problems.append(f"{self.source}: {field}: {message}")

    def get(self, table: dict, key: str, kind: type, field: str, default=None, required=True):
        if key not in table:
            if required:
                self.problem(field, "is missing")
            return default
        value = table[key]
        # bool is a subclass of int: refuse true/false where a number is wanted.
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            self.problem(field, f"must be {_type_name(kind)}, not {type(value).__name__}")
            return default
        if kind is str and not value.strip():
            self.problem(field, "must not be empty")
            return default
        return value.strip() if kind is str else value

    def strings(self, table: dict, key: str, field: str, required=True) -> tuple[str, ...]:
        values = self.get(table, key, list, field, default=[], required=required)
        out = []
        for i, v in enumerate(values):
            if not isinstance(v, str) or not v.strip():
                self.problem(f"{field}[{i}]", "must be a non-empty string")
            else:
                out.append(v.strip())
        return tuple(out)


def _type_name(kind: type) -> str:
    return {str: "text", int: "a whole number", bool: "true or false", list: "a list",
            dict: "a table"}.get(kind, kind.__name__)


def parse_unit(data: dict, source: str) -> Unit:
    """Build a Unit from parsed TOML, or raise SpecError listing every problem found."""
    r = _Reader(source)
    methods = _parse_methods(r, r.get(data, "methods", dict, "methods", default={}))
    if "methods" in data and not methods:
        r.problem("methods", "must name at least one evidence method")
    outcomes = _parse_outcomes(r, r.get(data, "outcomes", list, "outcomes", default=[]), methods)
    rules = _parse_rules(r, r.get(data, "rules", dict, "rules", default={}), methods)
    unit = Unit(
        id=r.get(data, "id", str, "id", default=""),
        number=r.get(data, "number", str, "number", default=""),
        title=r.get(data, "title", str, "title", default=""),
        reference=r.get(data, "reference", str, "reference", default=""),
        level=r.get(data, "level", int, "level", default=0),
        credits=r.get(data, "credits", int, "credits", default=0),
        guided_learning_hours=r.get(data, "guided_learning_hours", int, "guided_learning_hours",
                                    default=0),
        unit_type=r.get(data, "unit_type", str, "unit_type", default=""),
        summary=r.get(data, "summary", str, "summary", default=""),
        assessment_requirements=r.get(data, "assessment_requirements", str,
                                      "assessment_requirements", default="", required=False),
        methods=methods,
        outcomes=outcomes,
        rules=rules,
        source=source,
    )
    if r.problems:
        raise SpecError(r.problems)
    return unit


def _parse_methods(r: _Reader, table: dict) -> dict[str, Method]:
    methods = {}
    for key, m in table.items():
        field = f"methods.{key}"
        if not isinstance(m, dict):
            r.problem(field, "must be a table")
            continue
        author = r.get(m, "author", str, f"{field}.author", default="learner")
        if author not in AUTHORS:
            r.problem(f"{field}.author", f"must be one of {', '.join(AUTHORS)}, not {author!r}")
        record = ""
        if author == "assessor":
            record = r.get(m, "record", str, f"{field}.record", default="observation",
                           required=False)
            if record not in RECORDS:
                r.problem(f"{field}.record", f"must be one of {', '.join(RECORDS)}, not "
                                             f"{record!r}")
        elif "record" in m:
            r.problem(f"{field}.record", "only an assessor's method has a record layout")
        methods[key] = Method(key=key, name=r.get(m, "name", str, f"{field}.name", default=key),
                              author=author, record=record,
                              description=r.get(m, "description", str, f"{field}.description",
                                                default="", required=False))
    return methods


def _parse_outcomes(r: _Reader, items: list, methods: dict[str, Method]) -> tuple[Outcome, ...]:
    if not items:
        r.problem("outcomes", "must list at least one learning outcome")
    outcomes, seen_outcomes, seen_criteria = [], set(), set()
    for i, o in enumerate(items):
        field = f"outcomes[{i}]"
        if not isinstance(o, dict):
            r.problem(field, "must be a table")
            continue
        number = r.get(o, "number", str, f"{field}.number", default=str(i + 1))
        if number in seen_outcomes:
            r.problem(f"{field}.number", f"learning outcome {number} appears twice")
        seen_outcomes.add(number)
        kind = r.get(o, "kind", str, f"{field}.kind", default="knowledge")
        if kind not in KINDS:
            r.problem(f"{field}.kind", f"must be knowledge or performance, not {kind!r}")
        raw_criteria = r.get(o, "criteria", list, f"{field}.criteria", default=[])
        if not raw_criteria:
            r.problem(f"{field}.criteria", f"learning outcome {number} has no criteria")
        criteria = []
        for j, c in enumerate(raw_criteria):
            cfield = f"{field}.criteria[{j}]"
            if not isinstance(c, dict):
                r.problem(cfield, "must be a table")
                continue
            cid = r.get(c, "id", str, f"{cfield}.id", default=f"?{i}.{j}")
            if cid in seen_criteria:
                r.problem(f"{cfield}.id", f"criterion {cid} appears twice")
            seen_criteria.add(cid)
            usual = r.strings(c, "usual_methods", f"{cfield}.usual_methods", required=False)
            for m in usual:
                if m not in methods:
                    r.problem(f"{cfield}.usual_methods", f"unknown evidence method {m!r}")
            criteria.append(Criterion(
                id=cid, outcome=number, kind=kind,
                verb=r.get(c, "verb", str, f"{cfield}.verb", default=""),
                text=r.get(c, "text", str, f"{cfield}.text", default=""),
                amplification=r.strings(c, "amplification", f"{cfield}.amplification",
                                        required=False),
                usual_methods=usual,
                guidance=r.get(c, "guidance", str, f"{cfield}.guidance", default="",
                               required=False),
            ))
        outcomes.append(Outcome(number=number,
                                title=r.get(o, "title", str, f"{field}.title", default=""),
                                kind=kind, criteria=tuple(criteria)))
    return tuple(outcomes)


def _parse_rules(r: _Reader, table: dict, methods: dict[str, Method]) -> Rules:
    known = {}
    for key in ("knowledge_methods", "performance_methods"):
        names = r.strings(table, key, f"rules.{key}")
        for m in names:
            if m not in methods:
                r.problem(f"rules.{key}", f"unknown evidence method {m!r}")
        if not names and key in table:
            r.problem(f"rules.{key}", "must name at least one evidence method")
        known[key] = frozenset(names)
    window = r.get(table, "currency_window_months", int, "rules.currency_window_months",
                   default=0)
    if window is not None and window <= 0 and "currency_window_months" in table:
        r.problem("rules.currency_window_months", "must be a positive number of months")
    return Rules(
        simulation_allowed=r.get(table, "simulation_allowed", bool, "rules.simulation_allowed",
                                 default=False),
        knowledge_methods=known["knowledge_methods"],
        performance_methods=known["performance_methods"],
        currency_window_months=window or 0,
    )


def load_unit(path: Path) -> Unit:
    """Read and validate one spec file."""
    source = path.name
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise SpecError([f"{source}: (file): not valid TOML: {exc}"]) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError([f"{source}: (file): cannot be read: {exc}"]) from exc
    return parse_unit(data, source)


def scan_units(folder: Path) -> tuple[dict[str, Unit], list[str]]:
    """Every *.toml in `folder` that loads, keyed by unit id; and the problems of the rest."""
    units: dict[str, Unit] = {}
    problems: list[str] = []
    for path in sorted(folder.glob("*.toml")):
        try:
            unit = load_unit(path)
        except SpecError as exc:
            problems.extend(exc.problems)
            continue
        if unit.id in units:
            problems.append(f"{path.name}: id: unit id {unit.id!r} is already used by "
                            f"{units[unit.id].source}")
            continue
        units[unit.id] = unit
    if not units and not problems:
        problems.append(f"{folder}: (folder): no unit files (*.toml) found")
    return units, problems


def load_units(folder: Path) -> dict[str, Unit]:
    """Every unit in `folder`; SpecError listing every problem if any file is broken."""
    units, problems = scan_units(folder)
    if problems:
        raise SpecError(problems)
    return units
