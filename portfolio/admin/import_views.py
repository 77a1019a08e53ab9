"""Import learners from a CSV file: upload, preview every row, confirm (importing.py)."""

from flask import Response, abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user

from ..learner_csv import COLUMNS, template
from ..models import StagedImport
from ..saving import saving
from ..text import csv_text
from ..units import all_units
from . import bp
from .import_forms import ConfirmImportForm, ImportForm
from .importing import (
    LABELS,
    STAGED_FOR,
    confirm,
    find_staged,
    kinds,
    plan_rows,
    problems_table,
    result,
    stage,
    staged_file,
)


def _csv_download(text: str, name: str) -> Response:
    # A byte order mark, so Excel reads names with accents as UTF-8 (the import accepts it).
    return Response("\ufeff" + text, mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _staged(token: str) -> StagedImport:
    """The current admin's staged import, else back to the upload page saying why."""
    staged = find_staged(token, current_user)
    if staged is None:
        flash("That import is not there: a preview lasts an hour after the upload, and only "
              "the administrator who uploaded the file can see it. Upload the file again.",
              "danger")
        abort(redirect(url_for(".import_learners")))
    return staged


@bp.route("/import", methods=["GET", "POST"])
def import_learners():
    form = ImportForm()
    config = current_app.config
    if form.validate_on_submit():
        data = form.file.data.read(config["IMPORT_MAX_BYTES"] + 1)
        with saving() as saved:
            token = stage(data, form.file.data.filename or "", admin=current_user,
                          max_bytes=config["IMPORT_MAX_BYTES"],
                          max_rows=config["IMPORT_MAX_ROWS"])
        if saved.ok:
            return redirect(url_for(".import_preview", token=token))
        form.file.errors = [*form.file.errors, saved.error]
    return render_template("admin/import_upload.html", form=form, columns=COLUMNS,
                           units=all_units(), max_rows=config["IMPORT_MAX_ROWS"],
                           max_mb=config["IMPORT_MAX_BYTES"] / 1_048_576), \
        422 if form.errors else 200


@bp.route("/import/template.csv")
def import_template():
    return _csv_download(csv_text(template(next(iter(all_units()), "unit-40"))),
                         "learners-template.csv")


def _preview(staged: StagedImport, token: str, status: int = 200):
    """Every row as it stands now: what it will do, or its problems."""
    parsed = staged_file(staged)
    plans = plan_rows(parsed.rows, all_units())
    form = ConfirmImportForm()
    form.expected.data = kinds(plans)
    good = [p for p in plans if p.ok]
    return render_template(
        "admin/import_preview.html", form=form, token=token, staged=staged, parsed=parsed,
        good=good, bad=[p for p in plans if not p.ok], labels=LABELS,
        new_accounts=sum(p.account is None for p in good), has_errors=status != 200,
        minutes=int(STAGED_FOR.total_seconds() // 60)), status


@bp.route("/import/<token>")
def import_preview(token: str):
    staged = _staged(token)
    if staged.imported_at is not None:
        return redirect(url_for(".import_done", token=token))
    return _preview(staged, token)


@bp.route("/import/<token>", methods=["POST"])
def import_confirm(token: str):
    """Import the rows without problems, as the preview showed them, or nothing."""
    staged = _staged(token)
    form = ConfirmImportForm()
    if not form.validate_on_submit():
        abort(400)
    with saving() as saved:
        confirm(staged, form.expected.data or "", all_units(), actor=current_user)
    if saved.ok:
        return redirect(url_for(".import_done", token=token))
    staged = _staged(token)  # as it is after the rollback
    if staged.imported_at is not None:  # a second click, or another tab, got there first
        flash(saved.error, "info")
        return redirect(url_for(".import_done", token=token))
    flash(saved.error, "danger")
    return _preview(staged, token, 409)


@bp.route("/import/<token>/done")
def import_done(token: str):
    staged = _staged(token)
    if staged.imported_at is None:
        return redirect(url_for(".import_preview", token=token))
    done, skipped = result(staged)
    return render_template("admin/import_done.html", staged=staged, token=token, done=done,
                           skipped=skipped, new_accounts=sum(d.new_account for d in done),
                           enrolled=sum(d.enrolled for d in done))


@bp.route("/import/<token>/problems.csv")
def import_problems(token: str):
    """The rows with problems, each with its problems in words, to fix and upload again."""
    staged = _staged(token)
    return _csv_download(csv_text(problems_table(staged, all_units())),
                         "learners-with-problems.csv")
