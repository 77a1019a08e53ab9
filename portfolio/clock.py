"""The centre's clock. Times are stored in UTC and shown in UK time; "today" (the default date
on a form, the limit for "not in the future", a due date, a file name) is the date in
Europe/London, whatever the server's own zone. No Flask and no database: import it anywhere.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

UK = ZoneInfo("Europe/London")


def uk_now(now: datetime | None = None) -> datetime:
    """Now in Europe/London. `now` (an aware datetime, any zone) fixes the moment."""
    if now is None:
        now = datetime.now(UTC)
    elif now.tzinfo is None:
        raise ValueError("uk_now needs an aware datetime, not a naive one")
    return now.astimezone(UK)


def uk_today(now: datetime | None = None) -> date:
    """Today's date in Europe/London (at `now`, an aware datetime, if given)."""
    return uk_now(now).date()
