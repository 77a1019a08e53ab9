"""Command line: flask --app app init-db | specs validate | users create | users
reset-two-step | users unlink-college-account | demo | export | verify | coverage | suggest |
worker | store verify | retention --dry-run."""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from flask_migrate import upgrade

from .auth.oidc_accounts import unlink
from .auth.services import create_user, find_user
from .clock import uk_today
from .coverage_report import as_dict, as_lines
from .demo import seed_demo
from .errors import DomainError
from .extensions import db
from .facts import coverage_for
from .models import Portfolio, Role
from .spec import SpecError, load_unit, load_units
from .suggest_command import suggest_command
from .units import pin_unpinned, unit_for


def init_app(app: Flask) -> None:
    app.cli.add_command(init_db)
    app.cli.add_command(specs)
    app.cli.add_command(users)
    app.cli.add_command(demo)
    app.cli.add_command(export)
    app.cli.add_command(verify)
    app.cli.add_command(coverage)
    app.cli.add_command(suggest_command)
    app.cli.add_command(worker)
    app.cli.add_command(store)
    app.cli.add_command(retention)


@click.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty (for scripts).")
@with_appcontext
def worker(burst: bool):
    """Do the queued exports, packs and emails (needs REDIS_URL). Run one or more per centre;
    each job runs in a process of its own with JOB_SECONDS and JOB_MEMORY_MB as limits."""
    from . import queue
    from .export.jobs import sweep_parts

    if not queue.enabled():
        click.echo("REDIS_URL is not set: without it, the web server does this work itself "
                   "and no worker is needed.", err=True)
        raise SystemExit(1)
    click.echo(f"Swept {sweep_parts()} unfinished file(s) left by a stopped job.")
    queue.work(current_app._get_current_object(), burst=burst)


@click.group("store")
def store():
    """The evidence and export store."""


@store.command("verify")
@with_appcontext
def store_verify():
    """Re-hash every stored evidence file and find every finished export; list any missing
    or changed (exit status 1 if any)."""
    from .export.services import export_blobs
    from .store_check import verify_store

    evidence = current_app.extensions["evidence_store"]
    click.echo(f"Checking the evidence store {evidence.describe()}…")
    report = verify_store(evidence, export_blobs(), progress=lambda done, total: (
        click.echo(f"  {done} of {total}") if done % 500 == 0 else None))
    click.echo(f"{report.checked} evidence file(s) re-hashed ({report.bytes:,} bytes), "
               f"{report.exports_checked} export(s) found.")
    for line in report.missing:
        click.echo(f"MISSING  {line}")
    for line in report.changed:
        click.echo(f"CHANGED  {line}")
    for line in report.exports_missing:
        click.echo(f"MISSING EXPORT  {line}")
    if not report.ok:
        raise SystemExit(1)
    click.echo("Every file is present and unchanged.")


@click.command("init-db")
@with_appcontext
def init_db():
    """Create or upgrade the database schema (Alembic migrations)."""
    upgrade()
    # Portfolios enrolled before unit versions were kept are judged on the current files.
    pinned = pin_unpinned()
    db.session.commit()
    if pinned:
        click.echo(f"Recorded the unit version of {pinned} portfolio(s).")
    click.echo(f"Database ready: {db.engine.url.render_as_string(hide_password=True)}")


@click.group()
def specs():
    """Qualification specs in criteria/."""


@specs.command("validate")
@click.argument("path", required=False, type=click.Path(exists=True, path_type=Path))
@with_appcontext
def validate(path: Path | None):
    """Check every spec in criteria/ (or PATH: a file or a folder). Exit 1 on any problem."""
    path = path or Path(current_app.config["CRITERIA_DIR"])
    try:
        loaded = [load_unit(path)] if path.is_file() else list(load_units(path).values())
    except SpecError as exc:
        for problem in exc.problems:
            click.echo(f"error: {problem}", err=True)
        raise SystemExit(1) from None
    for unit in loaded:
        outcomes = ", ".join(f"LO{o.number}: {len(o.criteria)} criteria" for o in unit.outcomes)
        click.echo(f"ok: {unit.source}: {unit.name} ({unit.reference}), {outcomes}")


@click.group()
def users():
    """User accounts."""


@users.command("create")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.password_option("--password", help="Prompted for (twice) when not given.")
@with_appcontext
def create_user_command(role: str, email: str, name: str, password: str):
    """Create an account."""
    try:
        user = create_user(email=email, name=name, role=role, password=password, actor=None)
    except DomainError as exc:
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    click.echo(f"Created {user.role} {user.email}")


@users.command("unlink-college-account")
@click.option("--email", required=True)
@with_appcontext
def unlink_college_account(email: str):
    """Forget the college account (OpenID Connect) an account was matched to, when it was
    replaced at the identity provider: the next such sign-in matches by email again."""
    user = find_user(email)
    if user is None:
        raise click.ClickException(f"There is no account for {email}.")
    if not unlink(user, actor=None):
        raise click.ClickException(f"{user.email} is not linked to a college account.")
    db.session.commit()
    click.echo(f"Unlinked the college account from {user.email}")


@users.command("reset-two-step")
@click.argument("email")
@with_appcontext
def reset_two_step_command(email: str):
    """Turn off someone's two-step sign-in (lost phone and recovery codes), for example the
    only administrator's; audited."""
    from .auth import two_step

    user = find_user(email)
    if user is None:
        raise click.ClickException(f"There is no account for {email}.")
    try:
        two_step.reset(user, actor=None)
    except DomainError as exc:
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    click.echo(f"Two-step sign-in reset for {user.email}: they sign in with their password "
               "alone" + (", then set it up again." if two_step.required_for(user) else "."))


@click.command("demo")
@click.option("--password", default=None,
              help="One password for every demo login (default: a random one each).")
@with_appcontext
def demo(password: str | None):
    """Create the demo centre (idempotent) and print its logins."""
    logins = seed_demo(password=password)
    db.session.commit()
    click.echo(f"Demo centre ready at {current_app.config['CENTRE_NAME']}. Sign in with:")
    width = max(len(email) for email, _, _ in logins)
    for email, role, pw in logins:
        click.echo(f"  {email:<{width}}  {pw}  ({role})")


@click.command("export")
@click.argument("portfolio_id", type=int)
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the PDF here (it is always kept in the export store: "
                   "EXPORT_DIR or the bucket, by portfolio, day and digest).")
@with_appcontext
def export(portfolio_id: int, out: Path | None):
    """Export a portfolio to a signed PDF."""
    from .export.services import export_portfolio  # WeasyPrint loads only for an export

    portfolio = db.session.get(Portfolio, portfolio_id)
    if portfolio is None:
        click.echo(f"There is no portfolio {portfolio_id}.", err=True)
        raise SystemExit(1)
    made = export_portfolio(
        portfolio, actor=None, today=uk_today(),
        progress=lambda step, percent: click.echo(f"{percent:3d}%  {step}"))
    db.session.commit()
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(made.path.read_bytes())
    click.echo(f"Signed PDF written: {out or made.path} (in the export store as {made.key})")
    for url in made.refused:
        click.echo(f"Refused while rendering: {url}", err=True)


@click.command("coverage")
@click.argument("portfolio_id", type=int)
@click.option("--on", "on", type=click.DateTime(formats=["%Y-%m-%d"]),
              help="Judge as on this day (YYYY-MM-DD; default today). A signed-off portfolio "
                   "shows the verdict it was signed with, whatever the day.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (for scripts and MIS links).")
@with_appcontext
def coverage(portfolio_id: int, on, as_json: bool):
    """The verdict per criterion: met or not, why, and the evidence it rests on."""
    portfolio = db.session.get(Portfolio, portfolio_id)
    if portfolio is None:
        click.echo(f"There is no portfolio {portfolio_id}.", err=True)
        raise SystemExit(1)
    unit = unit_for(portfolio)
    verdict = coverage_for(portfolio, unit, on.date() if on else uk_today())
    if as_json:
        click.echo(json.dumps(as_dict(verdict, portfolio_id=portfolio.id,
                                      unit_version=portfolio.unit_version), indent=2,
                              ensure_ascii=False))
    else:
        for line in as_lines(verdict, title=f"{portfolio.learner.name}, {unit.name}"):
            click.echo(line)


@click.command("verify")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def verify(file: Path):
    """Check a portfolio PDF: unaltered since signing? who signed it, when? still current?"""
    from .export.services import verify_file  # pyHanko loads only for a check

    result, portfolio, current = verify_file(file.read_bytes())
    if not result.ok:
        reason = result.problem or ("it has been changed since it was signed" if not
                                    result.intact else "its signer is not trusted here" if not
                                    result.trusted else "the signature does not cover the "
                                    "whole file")
        click.echo(f"NOT VERIFIED: {file.name}: {reason}.")
        raise SystemExit(1)
    click.echo(f"Verified: {file.name} is unaltered since it was signed.")
    click.echo(f"Signed by: {result.signer}")
    click.echo(f"Signed at: {result.signed_at:%d %B %Y %H:%M %Z}" if result.signed_at else
               "Signed at: (no time in the signature)")
    click.echo(f"Portfolio digest in the file: {result.digest}")
    if portfolio is None:
        click.echo("The portfolio it names is not in this database.")
    elif current:
        click.echo(f"The digest is current: portfolio {portfolio.id} has not changed since.")
    else:
        click.echo(f"The portfolio has changed since this export (portfolio {portfolio.id}): "
                   "export it again for the current state.")


@click.command("retention")
@click.option("--dry-run", is_flag=True,
              help="List the portfolios past their retention period and what erasing each "
                   "would remove. Changes nothing.")
@with_appcontext
def retention(dry_run: bool):
    """Portfolios past their retention period (RETENTION_YEARS after the programme ended).

    Only lists them: records are never erased automatically, nor from here. An
    administrator erases each portfolio on Administration, Records past retention, where
    they see exactly what goes and confirm it."""
    from .retention.services import due_for_erasure, retention_years

    if not dry_run:
        click.echo("Nothing erased: this command only lists (add --dry-run). Records are "
                   "erased one portfolio at a time by an administrator, who confirms each on "
                   "Administration, Records past retention.", err=True)
        raise SystemExit(2)
    today, years = uk_today(), retention_years()
    listing = due_for_erasure(today, years, size=None)
    click.echo(f"Past retention on {today.isoformat()} (kept {years} years after the "
               f"programme ends): {listing.total} portfolio(s).")
    for row in listing.rows:
        p, c = row.portfolio, row.counts
        click.echo(f"  portfolio {p.id}  {p.unit_id}  ended {p.ended_on.isoformat()} "
                   f"({p.end_reason})  kept until {row.kept_until.isoformat()}  "
                   f"{c.evidence} evidence, {c.files} files ({c.bytes:,} bytes), "
                   f"{c.signatures} signatures, {c.audit_events} audit events to anonymise")
    click.echo(f"Still within retention: {listing.kept}; no end recorded (kept): "
               f"{listing.open}.")
    click.echo("Dry run: nothing was changed. Erase each from Administration, Records past "
               "retention.")
