"""Qualification specs: one TOML file per unit in criteria/, loaded into plain dataclasses.

Pure: imports nothing from Flask, so the coverage rules and the CLI can use it anywhere.
A broken file is refused with a SpecError naming the file and the field; a key the format
does not know (a misspelling such as `guidence`) is an error, not silence. What a unit is lives in
`model`, the reading and checking of a file in `parse`.

Each loaded unit carries its *version*: the sha256 of the file's text. A portfolio is judged
against the version it was enrolled on (see units.py), so editing a file never rewrites past
judgements.
"""

from __future__ import annotations

import hashlib
import tomllib
from pathlib import Path

from .model import (
    AUTHORS,
    KINDS,
    MEETS,
    NOT_EVIDENCE,
    RECORDS,
    SUPPORTS,
    Criterion,
    Method,
    Outcome,
    Range,
    Rules,
    SpecError,
    Unit,
)
from .parse import parse_unit

__all__ = ["AUTHORS", "KINDS", "MEETS", "NOT_EVIDENCE", "RECORDS", "SUPPORTS", "Criterion",
           "Method", "Outcome", "Range", "Rules", "SpecError", "Unit", "load_unit",
           "load_units", "parse_unit", "parse_unit_text", "scan_units", "version_of"]

def version_of(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def parse_unit_text(text: str, source: str) -> Unit:
    """Read and validate a unit from its TOML text (a file, or a stored version)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SpecError([f"{source}: (file): not valid TOML: {exc}"]) from exc
    return parse_unit(data, source, text=text, version=version_of(text))


def load_unit(path: Path) -> Unit:
    """Read and validate one spec file."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError([f"{path.name}: (file): cannot be read: {exc}"]) from exc
    return parse_unit_text(text, path.name)


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
