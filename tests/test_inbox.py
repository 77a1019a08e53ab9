"""Notifications: an inbox with a count in the navigation, and email when SMTP is set."""

import pytest
from helpers import FakeSMTP
from sqlalchemy import select

from portfolio.assessment.services import record_decision
from portfolio.extensions import db as _db
from portfolio.models import Notification
from portfolio.notify import notify


@pytest.fixture
def claim(portfolios, make_evidence):
    return make_evidence(portfolios["own"], title="Complaint log", claims={"2.8": None}).claims[0]


def test_a_decision_reaches_the_learners_inbox(db, browser, client, people, claim):
    record_decision(claim, "referred", "The outcome column is blank.",
                    assessor=people["assessor"])
    db.session.commit()
    browser.login(people["learner"])
    page = client.get("/inbox/").text
    assert "referred AC 2.8 on “Complaint log”: The outcome column is blank." in page
    assert 'Inbox <span class="badge text-bg-light">1<span class="visually-hidden"> new' in page
    item = db.session.scalar(select(Notification))
    response = client.get(f"/inbox/{item.id}")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/evidence/{claim.evidence_id}#claim-{claim.id}"
    db.session.expire_all()
    assert db.session.get(Notification, item.id).read_at is not None
    assert "visually-hidden\"> new" not in client.get("/inbox/").text


def test_nobody_opens_another_persons_notice(db, browser, client, people, claim):
    record_decision(claim, "accepted", "", assessor=people["assessor"])
    db.session.commit()
    item = db.session.scalar(select(Notification))
    browser.login(people["other_learner"])
    assert client.get(f"/inbox/{item.id}").status_code == 404
    assert "Complaint log" not in client.get("/inbox/").text
    db.session.expire_all()
    assert db.session.get(Notification, item.id).read_at is None


def test_mark_all_read(db, browser, client, people, claim):
    notify(people["learner"], "One", link="/a")
    notify(people["learner"], "Two", link="/b")
    db.session.commit()
    browser.login(people["learner"])
    response = browser.submit("/inbox/read", {}, form_url="/inbox/", follow_redirects=True)
    assert "Marked 2 notices as read." in response.text
    assert db.session.scalar(select(Notification).where(Notification.read_at.is_(None))) is None


def test_the_same_unread_notice_is_kept_once(db, people):
    notify(people["learner"], "Same", link="/x")
    notify(people["learner"], "Same", link="/x")
    db.session.commit()
    notify(people["learner"], "Same", link="/x")
    db.session.commit()
    assert db.session.query(Notification).count() == 1


def test_new_claims_tell_the_assessor(db, browser, people, portfolios, make_evidence):
    evidence = make_evidence(portfolios["own"], title="Letter")
    browser.login(people["learner"])
    browser.submit(f"/evidence/{evidence.id}/claims", {
        "claim_2_6": "y", "rationale_2_6": "The letter gives the delivery date."})
    item = db.session.scalar(select(Notification).where(
        Notification.user_id == people["assessor"].id))
    assert item.message == "Learner claimed AC 2.6 with “Letter”."


@pytest.fixture
def smtp(app, monkeypatch):
    FakeSMTP.sent = []
    monkeypatch.setattr("smtplib.SMTP", FakeSMTP)
    app.config.update(MAIL_SERVER="smtp.example.test", JOBS_BACKGROUND=False,
                      MAIL_FROM="portfolio@college.example", PUBLIC_URL="https://p.example")
    return FakeSMTP.sent


def test_with_smtp_set_the_notice_is_also_emailed_after_commit(db, people, claim, smtp):
    record_decision(claim, "accepted", "", assessor=people["assessor"])
    assert smtp == []  # nothing leaves before the change is saved
    db.session.commit()
    assert len(smtp) == 1
    msg = smtp[0]
    assert msg["To"] == people["learner"].email
    assert msg["From"] == "portfolio@college.example"
    assert "accepted AC 2.8" in msg["Subject"]
    body = msg.get_content()
    assert f"https://p.example/evidence/{claim.evidence_id}#claim-{claim.id}" in body


def test_a_change_rolled_back_sends_no_email(db, people, claim, smtp):
    record_decision(claim, "accepted", "", assessor=people["assessor"])
    db.session.rollback()
    db.session.commit()
    assert smtp == []


def test_email_is_off_by_default(app, db, people, claim, monkeypatch):
    FakeSMTP.sent = []
    monkeypatch.setattr("smtplib.SMTP", FakeSMTP)
    assert not app.config["MAIL_SERVER"]
    record_decision(claim, "accepted", "", assessor=people["assessor"])
    db.session.commit()
    assert FakeSMTP.sent == [] and _db.session.query(Notification).count() == 1


def test_a_mail_server_failure_is_logged_and_loses_nothing(app, db, people, claim, smtp,
                                                           monkeypatch, caplog):
    def refuse(*args, **kwargs):
        raise ConnectionRefusedError("connection refused")
    monkeypatch.setattr("smtplib.SMTP", refuse)
    record_decision(claim, "accepted", "", assessor=people["assessor"])
    db.session.commit()
    assert "could not send 1 notification email" in caplog.text
    assert db.session.query(Notification).count() == 1
