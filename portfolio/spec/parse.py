"""Reading a unit file: every key checked, every problem collected, "file: field: message".

Only the keys below are accepted, each with its type; anything else (a misspelt `guidence`, an
invented `minimum_examples`) is refused by name, so every key a file holds has an effect.
"""

from __future__ import annotations

from .model import (
    AUTHORS,
    KINDS,
    RECORDS,
    Criterion,
    Method,
    Outcome,
    Range,
    Rules,
    SpecError,
    Unit,
)

UNIT_KEYS = {"id", "number", "title", "reference", "level", "credits", "guided_learning_hours",
             "unit_type", "summary", "assessment_requirements", "rules", "methods", "ranges",
             "outcomes"}
RULE_KEYS = {"knowledge_methods", "performance_methods", "currency_window_months",
             "verify_witnesses", "no_ai_drafting"}
METHOD_KEYS = {"name", "author", "description", "record", "competence"}
RANGE_KEYS = {"name", "items"}
OUTCOME_KEYS = {"number", "title", "kind", "criteria", "required_methods"}
CRITERION_KEYS = {"id", "verb", "text", "amplification", "usual_methods", "guidance", "meets",
                  "supports", "min_evidence", "range", "range_min", "looks_for"}
# Keys earlier versions of the format had, with what replaced them.
RETIRED = {"simulation_allowed": "say which methods meet each criterion (`meets`); a method "
                                 "not listed there only supports it"}


class _Reader:
    """Collects every problem in one file instead of stopping at the first."""

    def __init__(self, source: str):
        self.source = source
        self.problems: list[str] = []

    def problem(self, field: str, message: str) -> None:
        self.problems.append(f"{self.source}: {field}: {message}")

    def only(self, table: dict, allowed: set[str], field: str) -> None:
        """Refuse every key the format does not know, naming it."""
        for key in table:
            if key in allowed:
                continue
            where = f"{field}.{key}" if field else key
            if key in RETIRED:
                self.problem(where, f"is no longer part of the format: {RETIRED[key]}")
            else:
                self.problem(where, "is not a key this format knows (allowed: "
                                    f"{', '.join(sorted(allowed))})")

    def tables(self, table: dict, prefix: str, allowed: set[str]):
        """(key, field, sub-table) for each named sub-table, its keys checked."""
        for key, sub in table.items():
            field = f"{prefix}.{key}"
            if not isinstance(sub, dict):
                self.problem(field, "must be a table")
                continue
            self.only(sub, allowed, field)
            yield key, field, sub

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

    def methods(self, table: dict, key: str, field: str, known: dict[str, Method],
                required=False) -> tuple[str, ...]:
        names = self.strings(table, key, field, required=required)
        for m in names:
            if m not in known:
                self.problem(field, f"unknown evidence method {m!r}")
        if key in table and not names:
            self.problem(field, "must name at least one evidence method")
        return names

    def count(self, table: dict, key: str, field: str, default: int) -> int:
        value = self.get(table, key, int, field, default=default, required=False)
        if key in table and value is not None and value < 1:
            self.problem(field, "must be 1 or more")
            return default
        return value


def _type_name(kind: type) -> str:
    return {str: "text", int: "a whole number", bool: "true or false", list: "a list",
            dict: "a table"}.get(kind, kind.__name__)


def parse_unit(data: dict, source: str, *, text: str = "", version: str = "") -> Unit:
    """Build a Unit from parsed TOML, or raise SpecError listing every problem found."""
    r = _Reader(source)
    r.only(data, UNIT_KEYS, "")
    methods = _parse_methods(r, r.get(data, "methods", dict, "methods", default={}))
    if "methods" in data and not methods:
        r.problem("methods", "must name at least one evidence method")
    rules = _parse_rules(r, r.get(data, "rules", dict, "rules", default={}), methods)
    ranges = _parse_ranges(r, r.get(data, "ranges", dict, "ranges", default={}, required=False))
    outcomes = _parse_outcomes(r, r.get(data, "outcomes", list, "outcomes", default=[]),
                               methods, rules, ranges)
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
        methods=methods, outcomes=outcomes, rules=rules, source=source, ranges=ranges,
        version=version, text=text,
    )
    if r.problems:
        raise SpecError(r.problems)
    return unit


def _parse_methods(r: _Reader, table: dict) -> dict[str, Method]:
    methods = {}
    for key, field, m in r.tables(table, "methods", METHOD_KEYS):
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
        competence = bool(r.get(m, "competence", bool, f"{field}.competence", default=False,
                                required=False))
        if competence and author != "witness":
            r.problem(f"{field}.competence", "only a witness's method states competence")
        methods[key] = Method(key=key, name=r.get(m, "name", str, f"{field}.name", default=key),
                              author=author, record=record, competence=competence,
                              description=r.get(m, "description", str, f"{field}.description",
                                                default="", required=False))
    return methods


def _parse_ranges(r: _Reader, table: dict) -> dict[str, Range]:
    ranges = {}
    for key, field, t in r.tables(table, "ranges", RANGE_KEYS):
        items = r.get(t, "items", dict, f"{field}.items", default={})
        labels = {}
        for item, label in items.items():
            if not isinstance(label, str) or not label.strip():
                r.problem(f"{field}.items.{item}", "must be the item's label as text")
            else:
                labels[item] = label.strip()
        if "items" in t and not labels:
            r.problem(f"{field}.items", "must list at least one item")
        ranges[key] = Range(key=key, name=r.get(t, "name", str, f"{field}.name", default=key),
                            items=labels)
    return ranges


def _parse_outcomes(r: _Reader, items: list, methods: dict[str, Method], rules: Rules,
                    ranges: dict[str, Range]) -> tuple[Outcome, ...]:
    if not items:
        r.problem("outcomes", "must list at least one learning outcome")
    outcomes, seen_outcomes, seen_criteria = [], set(), set()
    for i, o in enumerate(items):
        field = f"outcomes[{i}]"
        if not isinstance(o, dict):
            r.problem(field, "must be a table")
            continue
        r.only(o, OUTCOME_KEYS, field)
        number = r.get(o, "number", str, f"{field}.number", default=str(i + 1))
        if number in seen_outcomes:
            r.problem(f"{field}.number", f"learning outcome {number} appears twice")
        seen_outcomes.add(number)
        kind = r.get(o, "kind", str, f"{field}.kind", default="knowledge")
        if kind not in KINDS:
            r.problem(f"{field}.kind", f"must be knowledge or performance, not {kind!r}")
        required = r.methods(o, "required_methods", f"{field}.required_methods", methods)
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
            criteria.append(_parse_criterion(r, c, cfield, cid, number, kind, methods, rules,
                                             ranges))
        for m in required:
            if criteria and not any(m in c.meets for c in criteria):
                r.problem(f"{field}.required_methods",
                          f"{m!r} meets none of learning outcome {number}'s criteria")
        outcomes.append(Outcome(number=number,
                                title=r.get(o, "title", str, f"{field}.title", default=""),
                                kind=kind, criteria=tuple(criteria), required_methods=required))
    return tuple(outcomes)


def _parse_criterion(r: _Reader, c: dict, field: str, cid: str, outcome: str, kind: str,
                     methods: dict[str, Method], rules: Rules,
                     ranges: dict[str, Range]) -> Criterion:
    r.only(c, CRITERION_KEYS, field)
    usual = r.methods(c, "usual_methods", f"{field}.usual_methods", methods)
    meets = frozenset(r.methods(c, "meets", f"{field}.meets", methods)
                      or rules.methods_that_meet(kind))
    if "supports" in c:
        supports = frozenset(r.methods(c, "supports", f"{field}.supports", methods))
        for m in sorted(supports & meets):
            r.problem(f"{field}.supports", f"{m!r} is already in meets")
    else:  # by default every other method of the unit supports it
        supports = frozenset(methods) - meets
    range_key = r.get(c, "range", str, f"{field}.range", default="", required=False)
    range_min = r.count(c, "range_min", f"{field}.range_min", default=0)
    if range_key and range_key not in ranges:
        r.problem(f"{field}.range", f"unknown range {range_key!r} (define it under [ranges])")
    elif range_key and range_min > len(ranges[range_key].items):
        r.problem(f"{field}.range_min", f"the range {range_key!r} has only "
                                        f"{len(ranges[range_key].items)} items")
    if "range_min" in c and not range_key:
        r.problem(f"{field}.range_min", "needs a range")
    return Criterion(
        id=cid, outcome=outcome, kind=kind,
        verb=r.get(c, "verb", str, f"{field}.verb", default=""),
        text=r.get(c, "text", str, f"{field}.text", default=""),
        amplification=r.strings(c, "amplification", f"{field}.amplification", required=False),
        usual_methods=usual,
        guidance=r.get(c, "guidance", str, f"{field}.guidance", default="", required=False),
        meets=meets, supports=supports,
        min_evidence=r.count(c, "min_evidence", f"{field}.min_evidence", default=1),
        range=range_key, range_min=range_min,
        looks_for=r.strings(c, "looks_for", f"{field}.looks_for", required=False),
    )


def _parse_rules(r: _Reader, table: dict, methods: dict[str, Method]) -> Rules:
    r.only(table, RULE_KEYS, "rules")
    known = {key: frozenset(r.methods(table, key, f"rules.{key}", methods, required=True))
             for key in ("knowledge_methods", "performance_methods")}
    window = r.get(table, "currency_window_months", int, "rules.currency_window_months",
                   default=0)
    if window is not None and window <= 0 and "currency_window_months" in table:
        r.problem("rules.currency_window_months", "must be a positive number of months")
    verify = r.get(table, "verify_witnesses", bool, "rules.verify_witnesses", default=False,
                   required=False)
    no_ai = r.methods(table, "no_ai_drafting", "rules.no_ai_drafting", methods)
    for m in no_ai:  # only the learner declares AI use: another author's method never drafts
        if m in methods and methods[m].author != "learner":
            r.problem("rules.no_ai_drafting", f"{m!r} is not written by the learner, who is the "
                                              "one who declares AI use")
    return Rules(knowledge_methods=known["knowledge_methods"],
                 performance_methods=known["performance_methods"],
                 currency_window_months=window or 0, verify_witnesses=bool(verify),
                 no_ai_drafting=frozenset(no_ai))
