"""One transaction rule for views: commit what a service changed, or roll it all back.

    with saving() as saved:
        decision = record_decision(claim, ...)
    if saved.ok:
        flash("Decision recorded.") ...
    else:
        form.feedback.errors.append(saved.error)

A DomainError (a rule refused the change) rolls back and keeps its message for the page; the
types in `reraise` roll back and go on to the error handlers (a 403 page, or a stale form
shown back with what was typed). Anything else rolls back and propagates as a 500.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from .errors import DomainError
from .extensions import db


@dataclass
class Saved:
    error: str | None = None
    field: str | None = None  # the form field the error is about (FieldProblem), if any

    @property
    def ok(self) -> bool:
        return self.error is None


@contextmanager
def saving(*, reraise: tuple[type[Exception], ...] = ()) -> Iterator[Saved]:
    saved = Saved()
    try:
        yield saved
    except reraise:
        db.session.rollback()
        raise
    except DomainError as exc:
        db.session.rollback()
        saved.error = str(exc)
        saved.field = getattr(exc, "field", None)
    except Exception:
        db.session.rollback()
        raise
    else:
        db.session.commit()
