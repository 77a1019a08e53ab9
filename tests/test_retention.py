"""Keeping records (issue 18): the end of a learner's programme, how long its records are
kept, which are past retention, and the refusals before an erasure: nothing before its day,
nothing by anyone but an administrator, nothing without both confirmations, nothing from the
command line."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from retention_support import (
    EMAIL,
    LONG_AGO,
    NAME,
    RECENT,
    TODAY,
    confirm,
    dump,
    files_under,
    make_centre,
)
from sqlalchemy import select

from portfolio.audit import AuditAction
from portfolio.clock import uk_today
from portfolio.errors import DomainError
from portfolio.keeping import add_years, ended_before, kept_until, past_retention
from portfolio.models import AuditEvent, Portfolio, User
from portfolio.retention.erase import erase
from portfolio.retention.services import record_end, remove_end
from portfolio.units import all_units


@pytest.fixture
def centre(app, db, people, make_evidence, browser):
    return make_centre(app, db, people, make_evidence, browser)


def test_the_dates(app):
    assert kept_until(date(2021, 7, 31), 6) == date(2027, 7, 31)
    assert kept_until(date(2020, 2, 29), 6) == date(2026, 2, 28)
    assert kept_until(None, 6) is None
    assert not past_retention(date(2021, 7, 31), 6, date(2027, 7, 31))  # kept that day
    assert past_retention(date(2021, 7, 31), 6, date(2027, 8, 1))
    assert not past_retention(None, 6, date(2999, 1, 1))  # never ended: never past


@given(ended=st.dates(date(1990, 1, 1), date(2100, 12, 31)),
       today=st.dates(date(1990, 1, 1), date(2110, 12, 31)), years=st.integers(1, 12))
def test_the_query_cut_off_means_exactly_past_retention(ended, today, years):
    assert (ended < ended_before(today, years)) == past_retention(ended, years, today)
    assert add_years(ended, years) >= ended


def test_recording_the_end_is_audited_checked_and_can_be_corrected(db, people, portfolios):
    own, admin = portfolios["own"], people["admin"]
    enrolled = uk_today(own.created_at)
    with pytest.raises(DomainError, match="cannot be in the future"):
        record_end(own, TODAY + timedelta(days=1), "completed", actor=admin, today=TODAY)
    with pytest.raises(DomainError, match="cannot have ended before"):
        record_end(own, enrolled - timedelta(days=1), "completed", actor=admin, today=TODAY)
    with pytest.raises(DomainError, match="administrator"):
        record_end(own, TODAY, "completed", actor=people["assessor"], today=TODAY)
    record_end(own, TODAY, "completed", actor=admin, today=TODAY)
    with pytest.raises(DomainError, match="Nothing to change"):
        record_end(own, TODAY, "completed", actor=admin, today=TODAY)
    record_end(own, TODAY, "withdrawn", actor=admin, today=TODAY)
    db.session.commit()
    events = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == AuditAction.PORTFOLIO_END_RECORDED).order_by(AuditEvent.id)).all()
    assert len(events) == 2 and "(was " in events[1].summary
    assert events[1].detail["before"]["reason"] == "completed"
    remove_end(own, actor=admin)
    db.session.commit()
    assert own.ended_on is None and own.end_reason == ""
    with pytest.raises(DomainError, match="No end is recorded"):
        remove_end(own, actor=admin)


def test_the_end_on_the_portfolio_page(db, client, browser, people, portfolios):
    own = portfolios["own"]
    browser.login(people["admin"])
    page = client.get(f"/portfolios/{own.id}").text
    assert "Programme not ended" in page and "Record the end of this learner" in page
    empty = browser.submit(f"/admin/portfolios/{own.id}/end", {})
    assert empty.status_code == 422 and 'id="error-summary"' in empty.text
    assert "Enter the day the learner" in empty.text and "Choose why" in empty.text
    future = browser.submit(f"/admin/portfolios/{own.id}/end", {
        "ended_on": (TODAY + timedelta(days=3)).isoformat(), "reason": "completed"})
    assert future.status_code == 422 and "cannot be in the future" in future.text
    assert (TODAY + timedelta(days=3)).isoformat() in future.text  # what was typed is kept
    saved = browser.submit(f"/admin/portfolios/{own.id}/end", {
        "ended_on": TODAY.isoformat(), "reason": "transferred"})
    assert saved.status_code == 302
    until = kept_until(TODAY, 6)
    assert f"kept until {until.day} {until:%B %Y}" in client.get(f"/portfolios/{own.id}").text
    client.post("/logout", data={"csrf_token": browser.token("/portfolios/")})
    browser.login(people["assessor"])  # staff see it, and cannot change it
    page = client.get(f"/portfolios/{own.id}").text
    assert "Programme ended" in page and "Correct the end" not in page
    client.post("/logout", data={"csrf_token": browser.token("/portfolios/")})
    browser.login(people["learner"])
    assert "Programme ended" not in client.get(f"/portfolios/{own.id}").text
    client.post("/logout", data={"csrf_token": browser.token("/portfolios/")})
    browser.login(people["admin"])
    removed = browser.submit(f"/admin/portfolios/{own.id}/end/remove", {},
                             form_url=f"/admin/portfolios/{own.id}/end")
    assert removed.status_code == 302
    db.session.expire_all()
    assert db.session.get(Portfolio, own.id).ended_on is None


def test_the_dry_run_lists_only_what_is_past_retention_and_changes_nothing(
        app, db, centre, people, make_user):
    from portfolio.admin.services import enrol

    open_ = enrol(make_user("learner", name="Never Ended"), all_units()["unit-40"],
                  people["assessor"], people["iqa"], actor=people["admin"])
    db.session.commit()
    store = files_under(Path(app.config["EVIDENCE_DIR"]), Path(app.config["EXPORT_DIR"]))
    before = dump(db)
    result = app.test_cli_runner().invoke(args=["retention", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert f"portfolio {centre['own']}  unit-40  ended {LONG_AGO.isoformat()}" in result.output
    assert f"kept until {kept_until(LONG_AGO, 6).isoformat()}" in result.output
    assert "1 portfolio(s)" in result.output
    assert f"portfolio {centre['other']} " not in result.output  # still kept
    assert f"portfolio {open_.id} " not in result.output  # no end: kept
    assert "Still within retention: 1; no end recorded (kept): 1" in result.output
    assert NAME not in result.output  # the list names no one
    refused = app.test_cli_runner().invoke(args=["retention"])
    assert refused.exit_code == 2 and "Nothing erased" in refused.output
    db.session.expire_all()
    assert dump(db) == before
    assert files_under(Path(app.config["EVIDENCE_DIR"]),
                       Path(app.config["EXPORT_DIR"])) == store


def test_the_page_lists_what_is_due_with_what_erasing_removes(client, browser, people, centre):
    browser.login(people["admin"])
    page = client.get("/admin/retention").text
    assert NAME in page and people["other_learner"].name not in page
    assert "6 evidence items" not in page  # counts: 5 items (one was deleted)
    assert "5 evidence items, 2 files attached (104 bytes)" in page and "2 signatures" in page
    assert f"/admin/retention/{centre['own']}/erase" in page
    assert "1 portfolio ended and is still within" in page


def test_erasing_before_the_date_is_refused(db, client, browser, people, centre):
    browser.login(people["admin"])
    page = client.get(f"/admin/retention/{centre['other']}/erase")
    assert page.status_code == 200 and "cannot be erased yet" in page.text
    assert 'name="typed_name"' not in page.text
    until = kept_until(RECENT, 6) + timedelta(days=1)
    refused = confirm(browser, centre["other"], typed_name="Other Learner", understood="y")
    assert refused.status_code == 409 and f"erased from {until.day} {until:%B %Y}" in \
        refused.text
    other = db.session.get(Portfolio, centre["other"])
    with pytest.raises(DomainError, match="must be kept until"):
        erase(other, actor=people["admin"], typed_name="Other Learner", today=TODAY, years=6)
    db.session.rollback()
    assert db.session.get(Portfolio, centre["other"]) is not None


def test_only_an_admin_erases_and_only_when_they_confirm(db, client, browser, people, centre):
    own = centre["own"]
    for who in ("assessor", "iqa", "other_learner"):
        browser.login(people[who])
        assert client.get(f"/admin/retention/{own}/erase").status_code == 403
        token = browser.token("/portfolios/")
        assert client.post(f"/admin/retention/{own}/erase", data={
            "csrf_token": token, "typed_name": NAME, "understood": "y"}).status_code == 403
        client.post("/logout", data={"csrf_token": token})
    browser.login(people["admin"])
    empty = confirm(browser, own)
    assert empty.status_code == 422 and 'id="error-summary"' in empty.text
    assert "Type the learner" in empty.text and "cannot be undone" in empty.text
    wrong = confirm(browser, own, typed_name="Zara Q", understood="y")
    assert wrong.status_code == 422 and "not the learner" in wrong.text
    assert 'value="Zara Q"' in wrong.text  # what was typed is kept
    unticked = confirm(browser, own, typed_name=NAME)
    assert unticked.status_code == 422 and "Tick to confirm" in unticked.text
    with pytest.raises(DomainError, match="administrator"):
        erase(db.session.get(Portfolio, own), actor=people["assessor"], typed_name=NAME,
              today=TODAY, years=6)
    db.session.rollback()
    assert db.session.get(Portfolio, own) is not None
    assert db.session.get(User, centre["learner"]).email == EMAIL

