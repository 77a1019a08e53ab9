"""Rules that more than one form (and its service) checks. No Flask and no database."""

from __future__ import annotations

from wtforms.validators import ValidationError

from .clock import uk_today

FUTURE_DATE = "The date cannot be in the future."


class NotInFuture:
    """A date field's date is today (in the UK) or earlier. Services check the same rule
    against the `today` they are given, with the same message (FUTURE_DATE)."""

    def __init__(self, message: str = FUTURE_DATE):
        self.message = message

    def __call__(self, form, field) -> None:
        if field.data and field.data > uk_today():
            raise ValidationError(self.message)
