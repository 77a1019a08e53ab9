"""Witness testimony through a one-time link: no account, used once, expiring, revocable; the
link reaches the witness and never the learner; the statement counts once verified."""

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
        "job_title": "Team leader, customer relations", "relationship_kind": "line_manager",
        "not_relative": "y", "verification_contact": "0113 496 0000",
        "signed_name": "Sam Carter", "confirmed": "y"}


def ask(browser, portfolios, **overrides):
    url = f"/portfolios/{portfolios['own'].id}/witnesses/new"
    return browser.submit(url, {**ASK, **overrides})


def link_from(page: str) -> str:
    return re.search(r'id="witness-link"[^>]*value="(http[^"]+)"', page).group(1)


def logout(browser):
    browser.client.post("/logout", data={"csrf_token": browser.token("/portfolios/")})


def pass_on(browser, people, portfolios, request_id=None) -> str:
    """Email off: the assessor makes the link to pass on (shown to them once)."""
    from portfolio.extensions import db

    request_id = request_id or db.session.scalar(
        select(WitnessRequest.id).order_by(WitnessRequest.id.desc()))
    browser.login(people["assessor"])
    page = browser.submit(f"/witness-requests/{request_id}/pass-on", {},
                          form_url=f"/portfolios/{portfolios['own'].id}").text
    url = link_from(page)
    logout(browser)
    return url.replace("http://localhost", "")


@pytest.fixture
def link(db, browser, people, portfolios):
    browser.login(people["learner"])
    ask(browser, portfolios)
    logout(browser)
    return pass_on(browser, people, portfolios)


def sign(client, link, **overrides):
    page = client.get(link).text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    return client.post(link, data={**SIGN, "csrf_token": token, "dated": "2026-11-12",
                                   **overrides})


def test_with_email_off_the_learner_never_sees_a_link(db, browser, people, portfolios):
    """The assessor makes it, sees it once, and only its hash is kept."""
    browser.login(people["learner"])
    page = ask(browser, portfolios).text
    assert 'id="witness-link"' not in page and "/witness/" not in page
    assert "will pass the link on to Sam Carter" in page
    request = db.session.scalar(select(WitnessRequest))
    assert request.token_hash is None and request.state(utcnow()) == "to pass on"
    portfolio_page = browser.client.get(f"/portfolios/{portfolios['own'].id}").text
    assert "Make the link to pass on" not in portfolio_page  # the learner cannot make it
    assert browser.client.post(f"/witness-requests/{request.id}/pass-on", data={
        "csrf_token": browser.token("/portfolios/")}).status_code == 403
    assert db.session.scalar(select(Notification).where(
        Notification.user_id == people["assessor"].id)).message.endswith(
        "make the link and pass it on to the witness yourself.")
    logout(browser)
    path = pass_on(browser, people, portfolios)
    token = path.rsplit("/", 1)[1]
    assert len(token) >= 43  # 32 random bytes, base64: 256 bits (at least 128 asked)
    db.session.expire_all()
    request = db.session.scalar(select(WitnessRequest))
    assert request.token_hash == token_hash(token)
    assert request.passed_on_by_id == people["assessor"].id
    assert request.witness_email == "sam.carter@northgate.example"
    assert timedelta(days=13, hours=23) < request.expires_at - utcnow() <= timedelta(days=14)
    # The token itself is stored nowhere: not in the request, not in the audit trail.
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "witness.requested"))
    assert "the assessor passes the link on" in event.summary
    assert "witness.passed_on" in db.session.scalars(select(AuditEvent.action)).all()
    for row in db.session.execute(select(WitnessRequest.__table__)).all() + \
            db.session.execute(select(AuditEvent.__table__)).all():
        assert token not in str(tuple(row))


def test_a_new_link_replaces_the_one_passed_on(db, client, browser, people, portfolios, link):
    second = pass_on(browser, people, portfolios)
    assert second != link
    assert client.get(link).status_code == 404
    assert client.get(second).status_code == 200


def test_one_request_makes_one_link_however_often_it_is_sent(db, browser, people, portfolios):
    browser.login(people["learner"])
    url = f"/portfolios/{portfolios['own'].id}/witnesses/new"
    form = browser.client.get(url).text
    key = re.search(r'name="request_key" type="hidden" value="([^"]+)"', form).group(1)
    token = browser.token(url)
    sent = {**ASK, "csrf_token": token, "request_key": key}
    first = browser.client.post(url, data=sent)
    again = browser.client.post(url, data=sent)  # a reload of the answer, a second press
    assert first.status_code == again.status_code == 200
    assert "nothing new was made or sent" in again.text
    assert db.session.query(WitnessRequest).count() == 1
    # A fresh form is a new request.
    browser.submit(url, {**ASK, "name": "Ali Khan", "email": "ali@northgate.example"})
    assert db.session.query(WitnessRequest).count() == 2


@pytest.mark.parametrize(("email", "words"), [
    ("learner1@test.example", "is your own address"),
    ("assessor3@test.example", "the address of an account at this centre (assessor)")])
def test_the_link_never_goes_to_the_learner_or_another_account(db, browser, people,
                                                              portfolios, email, words):
    browser.login(people["learner"])
    page = ask(browser, portfolios, email=email).text
    assert words in page and "A witness is asked at their own email address" in page
    assert db.session.query(WitnessRequest).count() == 0


def test_a_relative_is_refused_when_asked(db, browser, people, portfolios):
    browser.login(people["learner"])
    page = ask(browser, portfolios, relationship="my mother").text
    assert "cannot come from a relative" in page
    assert db.session.query(WitnessRequest).count() == 0


@pytest.mark.parametrize("who", ["learner", "assessor", "other_learner"])
def test_a_link_opened_while_signed_in_accepts_nothing(db, client, browser, people, link, who):
    browser.login(people[who])
    page = client.get(link)
    assert page.status_code == 403 and "This link is for the witness" in page.text
    assert "takes nothing while you are signed in" in page.text
    assert 'name="signed_name"' not in page.text
    response = client.post(link, data={**SIGN, "csrf_token": browser.token("/portfolios/"),
                                       "dated": "2026-11-12"})
    assert response.status_code == 403
    assert db.session.query(Evidence).count() == 0
    assert db.session.scalar(select(WitnessRequest)).used_at is None


def test_with_smtp_the_link_is_emailed_to_the_witness(app, db, browser, people, portfolios,
                                                      monkeypatch):
    from helpers import FakeSMTP
    FakeSMTP.sent = []
    monkeypatch.setattr("smtplib.SMTP", FakeSMTP)
    app.config.update(MAIL_SERVER="smtp.example.test", JOBS_BACKGROUND=False,
                      PUBLIC_URL="https://p.example")
    browser.login(people["learner"])
    page = ask(browser, portfolios).text
    assert "We emailed a link to sam.carter@northgate.example" in page
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
    assert testimony.witness.relationship_kind == "line_manager"
    assert testimony.witness.relationship_to_learner == "Line manager"
    assert not testimony.witness.verified
    assert current_digest(portfolios["own"]) != before
    assert db.session.scalar(select(Notification).where(
        Notification.user_id == people["learner"].id)).message.startswith("Sam Carter sent")
    assert "witness.signed" in db.session.scalars(select(AuditEvent.action)).all()
    # Used once: the link now shows a clear page and accepts nothing.
    again = client.get(link)
    assert again.status_code == 410 and "does not work any more" in again.text
    assert client.post(link, data={**SIGN, "csrf_token": page_token}).status_code == 410
    assert db.session.query(Evidence).count() == 1


@pytest.mark.parametrize(("changes", "words"), [
    ({"verification_contact": "x"}, "neither an email address nor a UK phone number"),
    ({"verification_contact": "sam@"}, "is not a valid email address"),
    ({"verification_contact": "12345"}, "neither an email address nor a UK phone number"),
    ({"relationship_kind": ""}, "Choose how you know the learner"),
    ({"relationship_kind": "other", "relationship_other": ""}, "say how you know"),
    ({"relationship_kind": "other", "relationship_other": "her stepfather"},
     "cannot come from a relative"),
    ({"signed_name": "Priya Shah"}, "Type the name this request was made to: Sam Carter"),
    ({"job_title": ""}, "Give your job title"),
])
def test_checks_that_mean_something(db, client, link, changes, words):
    response = sign(client, link, **changes)
    assert response.status_code == 422 and words in response.text
    assert "heard her follow our procedure" in response.text  # what they wrote is kept
    assert db.session.query(Evidence).count() == 0


@pytest.mark.parametrize("contact", ["0113 496 0000", "+44 7700 900123", "(0161) 496-0000",
                                     "sam.carter@northgate.example"])
def test_a_uk_phone_or_an_email_will_do(db, client, link, contact):
    assert sign(client, link, verification_contact=contact).status_code == 200


def test_the_signature_matches_the_name_case_and_spaces_aside(db, client, link):
    assert sign(client, link, signed_name="  sam   CARTER ").status_code == 200
    assert db.session.scalar(select(WitnessRequest)).signed_name == "sam CARTER"


def test_odd_things_are_flags_for_the_assessor_not_refusals(app, db, client, browser, people,
                                                           portfolios, link):
    """Signed minutes after the request, from the learner's own address, at the learner's
    own email domain: taken, and each shown to the assessor (never to the learner)."""
    request = db.session.scalar(select(WitnessRequest))
    request.witness_email = "sam@test.example"  # the learner's own domain
    db.session.commit()
    browser.login(people["learner"])  # records the learner's address (the test client's)
    logout(browser)
    assert sign(client, link).status_code == 200
    testimony = db.session.scalar(select(Evidence))
    browser.login(people["assessor"])
    page = client.get(f"/evidence/{testimony.id}").text
    assert "the same domain as the learner" in page
    assert "after the learner asked: quicker than a witness usually answers" in page
    assert "the same internet address the learner last signed in from" in page
    logout(browser)
    browser.login(people["learner"])
    page = client.get(f"/evidence/{testimony.id}").text
    assert "quicker than a witness usually answers" not in page
    assert "Not yet verified" in page


def test_the_assessor_verifies_and_only_then_it_meets(db, client, browser, people, portfolios,
                                                     link):
    from portfolio.facts import coverage_for
    from portfolio.units import unit_for

    sign(client, link)
    testimony = db.session.scalar(select(Evidence))
    request = db.session.scalar(select(WitnessRequest))
    browser.login(people["learner"])
    browser.submit(f"/evidence/{testimony.id}/claims", {
        "claim_2_9": "y", "rationale_2_9": "Sam describes me following the procedure."})
    logout(browser)
    from portfolio.assessment.services import record_decision

    db.session.expire_all()
    testimony = db.session.get(Evidence, testimony.id)
    record_decision(testimony.claims[0], "accepted", "Clear.", assessor=people["assessor"])
    db.session.commit()
    browser.login(people["assessor"])
    portfolio = portfolios["own"]
    unit = unit_for(portfolio)
    db.session.expire_all()

    def ac_2_9():
        return next(c for c in coverage_for(portfolio, unit, utcnow().date()).criteria
                    if c.criterion.id == "2.9")
    assert ac_2_9().claims and ac_2_9().claims[0].state == "accepted"
    assert not ac_2_9().met
    assert any("has not yet verified" in r for r in ac_2_9().reasons)
    before = current_digest(portfolio)
    # The learner cannot verify their own witness.
    logout(browser)
    browser.login(people["learner"])
    assert client.post(f"/witness-requests/{request.id}/verify", data={
        "csrf_token": browser.token("/portfolios/"), "how": "phoned",
        "on": utcnow().date().isoformat()}).status_code == 403
    logout(browser)
    browser.login(people["assessor"])
    page = client.get(f"/evidence/{testimony.id}").text
    assert "Record the verification" in page
    done = browser.submit(f"/witness-requests/{request.id}/verify", {
        "how": "phoned", "on": utcnow().date().isoformat(), "note": "Spoke to Sam."},
        form_url=f"/evidence/{testimony.id}", follow_redirects=True)
    assert "you verified Sam Carter" in done.text and "Phoned the witness" in done.text
    db.session.expire_all()
    assert ac_2_9().met
    after = current_digest(portfolio)
    assert after != before
    assert "witness.verified" in db.session.scalars(select(AuditEvent.action)).all()
    from portfolio.facts import portfolio_state
    state = portfolio_state(portfolio)["evidence"][str(testimony.id)]["witness"]
    assert state["verified"]["how"] == "phoned"


def test_the_witness_must_not_be_a_relative_and_must_give_a_contact(db, client, link):
    response = sign(client, link, not_relative="", verification_contact="")
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


def test_an_expert_witness_uses_the_same_link_and_states_competence(db, client, browser, people,
                                                                   portfolios):
    """Which methods a link can ask for comes from the spec: any method a witness writes; an
    expert witness also states their occupational competence, which the assessor sees."""
    browser.login(people["learner"])
    form = client.get(f"/portfolios/{portfolios['own'].id}/witnesses/new").text
    assert "Kind of witness" in form and "Expert witness" in form
    ask(browser, portfolios, method="expert_witness")
    logout(browser)
    url = pass_on(browser, people, portfolios)
    page = client.get(url).text
    assert "Your occupational competence" in page
    refused = sign(client, url)
    assert refused.status_code == 422 and "say what makes you occupationally competent" in \
        refused.text
    sign(client, url, competence="Customer service manager, 12 years; Level 4 Diploma.")
    testimony = db.session.scalar(select(Evidence))
    assert testimony.method == "expert_witness"
    assert testimony.title.startswith("Expert witness: Sam Carter")
    assert testimony.witness.competence.startswith("Customer service manager")
    browser.login(people["assessor"])
    assert "Level 4 Diploma" in client.get(f"/evidence/{testimony.id}").text
    logout(browser)
    browser.login(people["learner"])
    refused = ask(browser, portfolios, method="direct_observation")
    assert "Choose the kind of witness from the list." in refused.text
    assert db.session.scalar(select(WitnessRequest).where(
        WitnessRequest.method == "direct_observation")) is None


def test_the_pdf_prints_competence_and_verification(app, db, client, browser, people,
                                                    portfolios, tmp_path):
    """The expert witness's competence and the assessor's verification are in the signed
    PDF, beside the statement and in the witness list."""
    import io

    from pypdf import PdfReader

    from portfolio.export.services import export_portfolio
    from portfolio.witness.services import verify

    browser.login(people["learner"])
    ask(browser, portfolios, method="expert_witness")
    logout(browser)
    url = pass_on(browser, people, portfolios)
    sign(client, url, competence="Customer service manager, 12 years.")
    request = db.session.scalar(select(WitnessRequest))
    verify(request, "met", utcnow().date(), "At the store.", actor=people["assessor"])
    db.session.commit()
    app.config["EXPORT_DIR"] = str(tmp_path / "exports")
    made = export_portfolio(portfolios["own"], actor=people["assessor"],
                            today=utcnow().date())
    db.session.commit()
    reader = PdfReader(io.BytesIO(made.path.read_bytes()))
    text = " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
    assert "Occupational competence Customer service manager, 12 years." in text
    assert "Verified by the assessor Met the witness on" in text
    assert "recorded by" in text and "At the store." in text
    assert "verified" in text and "(met the witness)" in text


@pytest.mark.parametrize(("words", "relative"), [
    ("my mother", True), ("her stepfather", True), ("my sister-in-law", True), ("Mum", True),
    ("HR business partner", False), ("manager at the parent company", False),
    ("the supervisor who stepped in", False), ("person in charge", False)])
def test_only_words_that_surely_name_a_relative_are_refused(words, relative):
    from portfolio.witness.checks import relative_named

    assert relative_named(words) is relative
