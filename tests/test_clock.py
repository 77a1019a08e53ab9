"""The centre's clock: "today" is the date in London, whatever the server's zone."""

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from portfolio.clock import UK, uk_now, uk_today


def test_late_on_a_summer_evening_it_is_already_tomorrow_in_london():
    assert uk_today(datetime(2025, 7, 14, 23, 30, tzinfo=UTC)) == date(2025, 7, 15)
    assert uk_today(datetime(2025, 7, 14, 22, 59, tzinfo=UTC)) == date(2025, 7, 14)


def test_in_winter_london_keeps_utc_dates():
    assert uk_today(datetime(2025, 12, 1, 23, 30, tzinfo=UTC)) == date(2025, 12, 1)
    assert uk_today(datetime(2025, 12, 2, 0, 0, tzinfo=UTC)) == date(2025, 12, 2)


def test_any_aware_moment_is_taken_as_the_same_instant():
    new_york = timezone(timedelta(hours=-4))
    assert uk_today(datetime(2025, 7, 14, 19, 30, tzinfo=new_york)) == date(2025, 7, 15)


def test_now_is_in_london_and_a_naive_moment_is_refused():
    assert uk_now().tzinfo is UK
    assert uk_now(datetime(2025, 7, 14, 23, 30, tzinfo=UTC)).hour == 0
    assert isinstance(uk_today(), date)
    with pytest.raises(ValueError):
        uk_today(datetime(2025, 7, 14, 23, 30))
