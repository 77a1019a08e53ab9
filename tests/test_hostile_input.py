"""Hostile input: forged Host headers and line breaks against email, odd files against the
PDF check, passwords of spaces, line breaks in titles."""

from datetime import date

import pytest
from test_inbox import FakeSMTP

from portfolio import create_app
from portfolio.assessment.services import record_decision
from portfolio.notify import notify

TODAY = date.today()


# ---------------------------------------------------------------- links and headers in email

def test_email_on_without_public_url_refuses_to_start(tmp_path):
    settings = {"TESTING": True, "SECRET_KEY": "test", "MAIL_SERVER": "smtp.example.test",
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.sqlite3'}"}
    with pytest.raises(RuntimeError, match="PUBLIC_URL"):
        create_app(settings, instance_path=str(tmp_path / "instance"))
    create_app({**settings, "PUBLIC_URL": "https://p.example"},
               instance_path=str(tmp_path / "instance"))
    create_app({**settings, "MAIL_SERVER": ""}, instance_path=str(tmp_path / "instance"))


@pytest.fixture
def smtp(app, monkeypatch):
    FakeSMTP.sent = []
    monkeypatch.setattr("smtplib.SMTP", FakeSMTP)
    app.config.update(MAIL_SERVER="smtp.example.test", MAIL_BACKGROUND=False,
                      MAIL_FROM="portfolio@college.example", PUBLIC_URL="https://p.example")
    return FakeSMTP.sent


ASK = {"name": "Sam Carter", "email": "sam@northgate.example", "job_title": "Team leader",
       "relationship": "My line manager", "activity": "The complaint call."}


def test_a_forged_host_header_never_reaches_an_email(app, db, client, browser, people,
                                                     portfolios, smtp):
    browser.login(people["learner"])
    url = f"/portfolios/{portfolios['own'].id}/witnesses/new"
    browser.token(url)  # the session now holds its CSRF secret: signed in at evil.example too
    client.set_cookie("session", client.get_cookie("session").value, domain="evil.example")
    forged = {"headers": {"Host": "evil.example"}}
    assert "We emailed the link" in browser.submit(url, ASK, **forged).text
    # Even with PUBLIC_URL gone after start-up, the request's Host is never used for email.
    app.config["PUBLIC_URL"] = ""
    assert "We emailed the link" in browser.submit(
        url, {**ASK, "email": "kim@northgate.example"}, **forged).text
    assert len(smtp) == 2
    assert "https://p.example/witness/" in smtp[0].get_content()
    for msg in smtp:
        assert "evil.example" not in msg.get_content() + str(msg["Subject"])


def test_a_line_break_in_a_title_makes_a_one_line_subject_not_a_header(db, people, portfolios,
                                                                      make_evidence, smtp):
    evidence = make_evidence(portfolios["own"], title="Letter\r\nBcc: x@evil.example",
                             claims={"2.8": None})
    record_decision(evidence.claims[0], "accepted", "", assessor=people["assessor"])
    db.session.commit()
    (msg,) = smtp
    assert "\r" not in msg["Subject"] and "\n" not in msg["Subject"]
    assert "Letter Bcc: x@evil.example" in msg["Subject"]
    assert msg["Bcc"] is None and "\nBcc:" not in msg.as_string()


def test_an_email_that_fails_is_logged_and_the_others_still_go(db, people, smtp, monkeypatch,
                                                               caplog):
    def refuse_the_learner(self, msg):
        if msg["To"] == people["learner"].email:
            raise ValueError("refused for the test")
        FakeSMTP.sent.append(msg)
    monkeypatch.setattr(FakeSMTP, "send_message", refuse_the_learner)
    notify(people["learner"], "First notice")
    notify(people["assessor"], "Second notice")
    db.session.commit()
    assert [m["To"] for m in smtp] == [people["assessor"].email]
    assert f"could not send a notification email to {people['learner'].email}" in caplog.text
    assert "refused for the test" in caplog.text
