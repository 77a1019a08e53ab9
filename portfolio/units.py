"""The app's qualification units: the current files in CRITERIA_DIR, and every earlier version a
portfolio is still judged against.

A unit's version is the sha256 of its file's text. A portfolio keeps the version it was
enrolled on (`Portfolio.unit_version`); editing the file makes a new version, and existing
portfolios stay on theirs until an administrator moves them (`move_to_current`). The text of
each version in use is stored in the database when first used, so a portfolio always shows and
prints the criteria it was judged against, whatever happens to the file.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask, abort, current_app
from sqlalchemy import select

from .extensions import db
from .models import Portfolio, UnitVersion
from .spec import SpecError, Unit, parse_unit_text, scan_units


def init_app(app: Flask) -> None:
    units, problems = scan_units(Path(app.config["CRITERIA_DIR"]))
    for problem in problems:
        # A broken file must not take the working units down with it: log it, show it to admins.
        app.logger.error("criteria: %s", problem)
    app.extensions["units"] = units
    app.extensions["unit_problems"] = problems
    app.extensions["unit_versions"] = {u.version: u for u in units.values()}


def all_units() -> dict[str, Unit]:
    """The current version of every unit, by id (for enrolling, and the admin's lists)."""
    return current_app.extensions["units"]


def unit_problems() -> list[str]:
    return current_app.extensions["unit_problems"]


def _unavailable(unit_id: str):
    current_app.logger.error("unit %r is not loaded; check criteria/", unit_id)
    abort(503, description=f"The specification for unit “{unit_id}” is not loaded. "
                           "An administrator needs to fix the criteria files.")


def get_unit(unit_id: str) -> Unit:
    """The current version of a unit (503 if its file does not load)."""
    unit = all_units().get(unit_id)
    if unit is None:
        _unavailable(unit_id)
    return unit


def store_version(unit: Unit) -> None:
    """Keep the text of `unit`'s version in the database (once; the caller commits)."""
    found = db.session.scalar(select(UnitVersion.id).where(
        UnitVersion.unit_id == unit.id, UnitVersion.version == unit.version))
    if found is None:
        db.session.add(UnitVersion(unit_id=unit.id, version=unit.version, text=unit.text,
                                   source=unit.source))


def pin(portfolio: Portfolio, unit: Unit) -> None:
    """Judge `portfolio` against this version of its unit from now on (the caller commits)."""
    store_version(unit)
    portfolio.unit_version = unit.version


def find_version(unit_id: str, version: str) -> Unit | None:
    """A unit as it was at `version`: the current file, or the stored text (parsed once)."""
    cache = current_app.extensions["unit_versions"]
    if version in cache:
        return cache[version]
    row = db.session.scalar(select(UnitVersion).where(UnitVersion.unit_id == unit_id,
                                                      UnitVersion.version == version))
    if row is None:
        return None
    try:
        unit = parse_unit_text(row.text, f"{row.source} (version {version[:12]})")
    except SpecError as exc:  # a version kept from an older format: say so, do not guess
        current_app.logger.error("stored unit version %s: %s", version[:12], exc)
        return None
    cache[version] = unit
    return unit


def unit_for(portfolio: Portfolio) -> Unit:
    """The unit version this portfolio is judged against (503 if it cannot be read)."""
    if not portfolio.unit_version:  # enrolled before versions were kept: the current file
        return get_unit(portfolio.unit_id)
    unit = find_version(portfolio.unit_id, portfolio.unit_version)
    if unit is None:
        _unavailable(f"{portfolio.unit_id} version {portfolio.unit_version[:12]}")
    return unit


def units_for(portfolios: list[Portfolio]) -> dict[int, Unit | None]:
    """Each portfolio's unit version, by portfolio id (None where it cannot be read)."""
    out = {}
    for p in portfolios:
        if not p.unit_version:
            out[p.id] = all_units().get(p.unit_id)
        else:
            out[p.id] = find_version(p.unit_id, p.unit_version)
    return out


def pin_unpinned() -> int:
    """Give every portfolio enrolled before versions were kept the current version of its
    unit (run by `init-db` after the migrations). Returns how many were pinned."""
    pinned = 0
    for portfolio in db.session.scalars(select(Portfolio).where(Portfolio.unit_version == "")):
        unit = all_units().get(portfolio.unit_id)
        if unit is not None:
            pin(portfolio, unit)
            pinned += 1
    return pinned


def newer_version(portfolio: Portfolio) -> Unit | None:
    """The current file's version, if it differs from the one the portfolio is judged on."""
    current = all_units().get(portfolio.unit_id)
    if current is None or not portfolio.unit_version or current.version == portfolio.unit_version:
        return None
    return current
