"""The app's qualification units, loaded from CRITERIA_DIR when the app is built."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, abort, current_app

from .spec import Unit, scan_units


def init_app(app: Flask) -> None:
    units, problems = scan_units(Path(app.config["CRITERIA_DIR"]))
    for problem in problems:
        # A broken file must not take the working units down with it: log it, show it to admins.
        app.logger.error("criteria: %s", problem)
    app.extensions["units"] = units
    app.extensions["unit_problems"] = problems


def all_units() -> dict[str, Unit]:
    return current_app.extensions["units"]


def unit_problems() -> list[str]:
    return current_app.extensions["unit_problems"]


def get_unit(unit_id: str) -> Unit:
    unit = all_units().get(unit_id)
    if unit is None:
        current_app.logger.error("unit %r is not loaded; check criteria/", unit_id)
        abort(503, description=f"The specification for unit “{unit_id}” is not loaded. "
                               "An administrator needs to fix the criteria files.")
    return unit
