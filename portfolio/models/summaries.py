"""Each portfolio's figures for the lists, kept so a list of hundreds reads one row apiece."""

from __future__ import annotations

import json
from datetime import date, datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import UTCDateTime, utcnow


class PortfolioSummary(db.Model):
    """What the caseload and the IQA's lists show of a portfolio, written from the coverage
    verdict (summaries.py). Fresh while the portfolio's lock_version and unit version are the
    ones it was computed at and today is not past `valid_through` (None: for ever)."""

    __tablename__ = "portfolio_summary"

    portfolio_id: Mapped[int] = mapped_column(ForeignKey("portfolio.id"), primary_key=True)
    lock_version: Mapped[int]
    unit_version: Mapped[str] = mapped_column(String(64))
    valid_through: Mapped[date | None]
    met: Mapped[int]
    total: Mapped[int]
    outcomes_json: Mapped[str] = mapped_column(Text)  # [["1", met, total], ...]
    awaiting: Mapped[int]
    referred: Mapped[int]
    disputed: Mapped[int]
    resubmitted: Mapped[int]
    complete: Mapped[bool]
    # For the IQA's plan: the methods and outcomes of the judged claims, and how many.
    judged_json: Mapped[str] = mapped_column(Text, default="{}")
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def judged(self) -> dict:
        return json.loads(self.judged_json or "{}")

    @property
    def outcomes(self) -> list[tuple[str, int, int]]:
        return [tuple(o) for o in json.loads(self.outcomes_json)]
