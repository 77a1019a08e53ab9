"""`flask --app app suggest UNIT_ID`: rank a unit's criteria for evidence text on standard
input, so the ranker can be checked and scripted outside the web pages.

Human form: one block per criterion, best first (its id, confidence word, score, text shortened,
then the quoted sentences). --json: Ranking.as_dict(), the shape the README documents. Exit
status 2, with a message, for an unknown unit or evidence method, empty or binary input, or a
method whose model is not installed.
"""

from __future__ import annotations

import json
import sys

import click
from flask import current_app
from flask.cli import with_appcontext

from . import suggest
from .spec import SUPPORTS

WIDTH = 72  # criterion text shortened to this many characters


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    raise SystemExit(2)


def read_text(data: bytes) -> str:
    """Standard input as text, or a clear refusal (the caller exits 2)."""
    if b"\0" in data:
        raise ValueError("standard input is not text (it holds NUL bytes: a binary file?). "
                         "Give the evidence as plain text, for example the account or the "
                         "email body.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(f"standard input is not UTF-8 text (byte {exc.start}: "
                         f"{data[exc.start:exc.start + 1]!r}). Save the evidence as UTF-8 "
                         "text.") from None
    if not text.strip():
        raise ValueError("standard input is empty: pipe the evidence text in, for example "
                         "flask --app app suggest unit-40 < account.txt")
    return text


def _stdin_bytes() -> bytes:
    """Standard input as it came, undecoded: the text is judged (and refused) here."""
    stream = sys.stdin
    if stream is None:
        return b""
    buffer = getattr(stream, "buffer", None)
    return buffer.read() if buffer is not None else stream.read().encode("utf-8")


def _short(text: str) -> str:
    return text if len(text) <= WIDTH else text[:WIDTH - 1].rstrip() + "…"


def human(ranking: suggest.Ranking, unit) -> list[str]:
    lines = [f"{unit.name}: {ranking.sentences} sentence(s) read"
             + (" (only the start: the text is longer than the ranker reads)"
                if ranking.truncated else ""),
             f"Method: {ranking.method} ({ranking.reason})"]
    if ranking.evidence_method:
        lines.append(f"Evidence method: {unit.method_name(ranking.evidence_method)}")
    lines.append("Suggestions only: a person decides what the evidence meets.")
    for n, s in enumerate(ranking.suggestions, 1):
        rule = "  [supports only]" if s.role == SUPPORTS else (
            "  [does not count for this criterion]" if s.role == "not_evidence" else "")
        lines.append("")
        lines.append(f"{n:>2}. AC {s.criterion_id:<4} {s.confidence:<6} {s.score:.2f}  "
                     f"{_short(s.criterion_text)}{rule}")
        for q in s.quotes:
            lines.append(f"      “{' '.join(q.text.split())}”  [{q.start}:{q.end}]")
        if not s.quotes:
            lines.append("      (no sentence stands out)")
    return lines


@click.command("suggest")
@click.argument("unit_id")
@click.option("--method", type=click.Choice(suggest.METHODS), default=None,
              help="Ranker (default: SUGGEST_METHOD, itself auto: combined when the model "
                   "extra is installed, lexical otherwise).")
@click.option("--evidence-method", "evidence_method", default=None,
              help="The evidence's method (e.g. reflective_account): each suggestion then "
                   "says whether that method can meet the criterion or only supports it.")
@click.option("--top", type=click.IntRange(min=1), default=None,
              help="Only the N best criteria.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (README: the shape).")
@with_appcontext
def suggest_command(unit_id: str, method: str | None, evidence_method: str | None,
                    top: int | None, as_json: bool):
    """Rank UNIT_ID's criteria for evidence text read from standard input."""
    from .units import all_units

    unit = all_units().get(unit_id)
    if unit is None:
        known = ", ".join(sorted(all_units())) or "none loaded"
        _fail(f"there is no unit {unit_id!r} (units: {known}).")
    if evidence_method is not None and evidence_method not in unit.methods:
        _fail(f"{unit_id} has no evidence method {evidence_method!r} (methods: "
              f"{', '.join(unit.methods)}).")
    try:
        text = read_text(_stdin_bytes())
    except ValueError as exc:
        _fail(str(exc))
    try:
        ranking = suggest.rank(unit, text, method=method or current_app.config["SUGGEST_METHOD"],
                               method_id=evidence_method, top=top)
    except suggest.ModelUnavailable as exc:
        _fail(f"the {method} ranker needs the model: {exc}.")
    if not ranking.sentences:
        _fail("no sentence to rank: the text holds only headers, greetings or signatures.")
    if as_json:
        click.echo(json.dumps(ranking.as_dict(), indent=2, ensure_ascii=False))
    else:
        for line in human(ranking, unit):
            click.echo(line)
    sys.stdout.flush()
