"""How long a portfolio's records are kept after the learner's programme ends, and when they
may go. No Flask and no database.

DfE funding rules keep learner records for RETENTION_YEARS (6) after the programme ends; the
records are *kept until* the same day that many years on, and may be erased from the day
after. A portfolio without an end date is never past retention.
"""

from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum


class EndReason(StrEnum):
    """Why the learner's programme ended, as the administrator records it."""

    COMPLETED = "completed"
    WITHDRAWN = "withdrawn"
    TRANSFERRED = "transferred"

    @property
    def label(self) -> str:
        return {"completed": "Completed", "withdrawn": "Withdrawn",
                "transferred": "Transferred to another provider"}[self.value]


def add_years(day: date, years: int) -> date:
    """The same day `years` later; 29 February becomes 28 February in a year without one."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def kept_until(ended_on: date | None, years: int) -> date | None:
    """The last day the records must be kept (None: the programme has not ended)."""
    return None if ended_on is None else add_years(ended_on, years)


def past_retention(ended_on: date | None, years: int, today: date) -> bool:
    """May the records go today? Only once the day they are kept until has passed."""
    until = kept_until(ended_on, years)
    return until is not None and until < today


def ended_before(today: date, years: int) -> date:
    """The first end date that is *not* past retention today, so that a query can say
    `ended_on < ended_before(today, years)` and mean exactly past_retention(...)."""
    cut = add_years(today, -years)
    while add_years(cut - timedelta(days=1), years) >= today:
        cut -= timedelta(days=1)
    while add_years(cut, years) < today:
        cut += timedelta(days=1)
    return cut


def month(day: date | None) -> str:
    """A date to the month ("2021-07"): what the anonymised record of an erasure keeps."""
    return "" if day is None else f"{day.year:04d}-{day.month:02d}"
