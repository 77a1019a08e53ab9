"""Witness testimony through a one-time link: no account, used once, expiring, revocable."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from portfolio.evidence.services import set_claims
from portfolio.facts import current_digest
from portfolio.models import AuditEvent, Evidence, Notification, WitnessRequest, utcnow
from portfolio.tokens import hash_token as token_hash
from portfolio.units import all_units

ASK = {"name": "Sam Carter", "email": "Sam.Carter@northgate.example",
       "job_title": "Team leader, customer relations", "relationship": "My line manager",
       "activity": "How I handled Mrs Okafor's complaint on 12 November (AC 2.9)."}
SIGN = {"statement": "I sat beside Priya for the call and heard her follow our procedure.",
        "not_relative": "y", "verification_contact": "0113 496 0000",
        "signed_name": "Sam Carter", "confirmed": "y"}


def ask(browser, portfolios, **overrides):
    url = f"/portfolios/{portfolios['own'].id}/witnesses/new"
    return browser.submit(url, {**ASK, **overrides})


def link_from(page: str) -> str:
    return re.search(r'id="witness-link"[^>]*value="(http[^"]+)"', page).group(1)


@pytest.fixture
def link(db, browser, people, portfolios):
    browser.login(people["learner"])
    page = ask(browser, portfolios).text
    url = link_from(page)
    browser.client.post("/logout", data={"csrf_token": browser.token("/portfolios/")})
    return url.replace("http://localhost", "")


def test_the_learner_gets_a_one_time_link_kept_only_as_a_hash(db, browser, people, portfolios):
    browser.login(people["learner"])
    page = ask(browser, portfolios).text
    assert "It is shown only now" in page
    path = link_from(page).replace("http://localhost", "")
    token = path.rsplit("/", 1)[1]
    assert len(token) >= 43  # 32 random bytes, base64: 256 bits (at least 128 asked)
    request = db.session.scalar(select(WitnessRequest))
    assert request.token_hash == token_hash(token)
    assert request.witness_email == "sam.carter@northgate.example"
    assert timedelta(days=13, hours=23) < request.expires_at - utcnow() <= timedelta(days=14)
    # The token itself is stored nowhere: not in the request, not in the audit trail.
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "witness.requested"))
    assert "link shown to the learner" in event.summary
    for row in db.session.execute(select(WitnessRequest.__table__)).all() + \
            db.session.execute(select(AuditEvent.__table__)).all():
        assert token not in str(tuple(row))


def test_with_smtp_the_link_is_emailed_to_the_witness(app, db, browser, people, portfolios,
                                                      monkeypatch):
    from helpers import FakeSMTP
    FakeSMTP.sent = []
    monkeypatch.setattr("smtplib.SMTP", FakeSMTP)
    app.config.update(MAIL_SERVER="smtp.example.test", JOBS_BACKGROUND=False,
                      PUBLIC_URL="https://p.example")
    browser.login(people["learner"])
    page = ask(browser, portfolios).text
    assert "We emailed the link to sam.carter@northgate.example" in page
    assert 'id="witness-link"' not in page
    (msg,) = FakeSMTP.sent
    assert msg["To"] == "sam.carter@northgate.example"
    assert re.search(r"https://p\.example/witness/[\w-]{43,}", msg.get_content())


def test_the_witness_signs_without_an_account(db, client, people, portfolios, link):
    page = client.get(link).text
    assert "Witness testimony for Learner" in page
    assert "Unit 40: Resolve Customers’ Complaints" in page and "not assessing" in page
    assert "Mrs Okafor" in page
    before = current_digest(portfolios["own"])
    page_token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post(link, data={**SIGN, "csrf_token": page_token,
                                       "dated": "2026-11-12"})
    assert response.status_code == 200 and "Thank you, Sam Carter" in response.text
    testimony = db.session.scalar(select(Evidence))
    assert testimony.method == "witness_testimony" and testimony.author_id is None
    assert testimony.author_name == "Sam Carter"
    assert testimony.witness.verification_contact == "0113 496 0000"
    assert testimony.witness.not_relative and testimony.witness.signed_name == "Sam Carter"
    assert current_digest(portfolios["own"]) != before
    assert db.session.scalar(select(Notification).where(
        Notification.user_id == people["learner"].id)).message.startswith("Sam Carter sent")
    assert "witness.signed" in db.session.scalars(select(AuditEvent.action)).all()
    # Used once: the link now shows a clear page and accepts nothing.
    again = client.get(link)
    assert again.status_code == 410 and "does not work any more" in again.text
    assert client.post(link, data={**SIGN, "csrf_token": page_token}).status_code == 410
    assert db.session.query(Evidence).count() == 1


def test_the_witness_must_not_be_a_relative_and_must_give_a_contact(db, client, link):
    page = client.get(link).text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post(link, data={**SIGN, "csrf_token": token, "dated": "2026-11-12",
                                       "not_relative": "", "verification_contact": ""})
    assert response.status_code == 422
    assert "cannot come from a relative" in response.text
    assert "Give a phone number or email address" in response.text
    assert "heard her follow our procedure" in response.text  # what they wrote is kept
    assert db.session.query(Evidence).count() == 0


def test_an_expired_link_accepts_nothing(db, client, link):
    request = db.session.scalar(select(WitnessRequest))
    request.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    response = client.get(link)
    assert response.status_code == 410 and "This link expired" in response.text


def test_the_learner_or_assessor_revokes_a_link(db, client, browser, people, portfolios, link):
    request = db.session.scalar(select(WitnessRequest))
    for who, code in (("other_learner", 404), ("iqa", 403)):
        browser.login(people[who])
        token = browser.token("/portfolios/")
        assert client.post(f"/witness-requests/{request.id}/revoke",
                           data={"csrf_token": token}).status_code == code
        client.post("/logout", data={"csrf_token": token})
    browser.login(people["assessor"])
    page = client.get(f"/portfolios/{portfolios['own'].id}").text
    assert "Sam Carter" in page and "Waiting" in page
    response = browser.submit(f"/witness-requests/{request.id}/revoke", {},
                              form_url=f"/portfolios/{portfolios['own'].id}",
                              follow_redirects=True)
    assert "no longer works" in response.text and "Revoked" in response.text
    assert client.get(link).status_code == 410
    assert "was withdrawn" in client.get(link).text


def test_guessed_tokens_find_nothing(db, client, link):
    for guess in ("abc", "A" * 43, link.rsplit("/", 1)[1][:-1] + "x", "x" * 500):
        response = client.get(f"/witness/{guess}")
        assert response.status_code == 404 and "does not work" in response.text
    assert db.session.scalar(select(WitnessRequest)).used_at is None


def test_the_learner_tags_but_never_edits_a_testimony(db, client, browser, people, portfolios,
                                                      link):
    page = client.get(link).text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    client.post(link, data={**SIGN, "csrf_token": token, "dated": "2026-11-12"})
    testimony = db.session.scalar(select(Evidence))
    browser.login(people["learner"])
    response = client.get(f"/evidence/{testimony.id}/edit", follow_redirects=True)
    assert "written by Sam Carter" in response.text
    assert client.get(f"/evidence/{testimony.id}/delete").status_code == 409
    response = browser.submit(f"/evidence/{testimony.id}/claims", {
        "claim_2_9": "y", "rationale_2_9": "Sam describes me following the procedure."})
    assert response.status_code == 302
    db.session.expire_all()
    testimony = db.session.get(Evidence, testimony.id)
    assert [c.criterion_id for c in testimony.claims] == ["2.9"]
    assert testimony.account_md.startswith("I sat beside Priya")
    with pytest.raises(Exception, match="written by Sam Carter"):
        from portfolio.evidence.services import ensure_editable
        ensure_editable(testimony, people["learner"])
    set_claims(testimony, all_units()["unit-40"], {"2.9": "Again.", "2.6": "Updates."},
               actor=people["learner"])


def test_a_signed_off_portfolio_takes_no_testimony(db, client, portfolios, link):
    portfolios["own"].locked_at = utcnow()
    db.session.commit()
    response = client.get(link)
    assert response.status_code == 410 and "signed off" in response.text


def test_an_expert_witness_uses_the_same_link(db, client, browser, people, portfolios):
    """Which methods a link can ask for comes from the spec: any method a witness writes."""
    browser.login(people["learner"])
    form = client.get(f"/portfolios/{portfolios['own'].id}/witnesses/new").text
    assert "Kind of witness" in form and "Expert witness" in form
    url = link_from(ask(browser, portfolios, method="expert_witness").text)
    browser.client.post("/logout", data={"csrf_token": browser.token("/portfolios/")})
    page = client.get(url.replace("http://localhost", "")).text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    client.post(url.replace("http://localhost", ""),
                data={**SIGN, "csrf_token": token, "dated": "2026-11-12"})
    testimony = db.session.scalar(select(Evidence))
    assert testimony.method == "expert_witness"
    assert testimony.title.startswith("Expert witness: Sam Carter")
    browser.login(people["learner"])
    refused = ask(browser, portfolios, method="direct_observation")
    assert "Choose the kind of witness from the list." in refused.text
    assert db.session.scalar(select(WitnessRequest).where(
        WitnessRequest.method == "direct_observation")) is None
