"""The shared "not in the future" rule: today in London is allowed, tomorrow is not."""

from datetime import date, timedelta

import pytest
from wtforms import DateField, Form
from wtforms.validators import DataRequired

from portfolio.validators import FUTURE_DATE, NotInFuture

TODAY = date(2025, 7, 15)


class DatedForm(Form):
    dated = DateField("Date", validators=[DataRequired(), NotInFuture()])


@pytest.fixture(autouse=True)
def london_today(monkeypatch):
    monkeypatch.setattr("portfolio.validators.uk_today", lambda: TODAY)


def test_today_and_earlier_are_accepted():
    assert DatedForm(data={"dated": TODAY}).validate()
    assert DatedForm(data={"dated": TODAY - timedelta(days=400)}).validate()


def test_tomorrow_is_refused_with_the_shared_message():
    form = DatedForm(data={"dated": TODAY + timedelta(days=1)})
    assert not form.validate()
    assert form.dated.errors == [FUTURE_DATE]
    assert FUTURE_DATE == "The date cannot be in the future."


def test_a_missing_date_is_left_to_data_required():
    form = DatedForm(data={"dated": None})
    assert not form.validate()
    assert form.dated.errors == ["This field is required."]
