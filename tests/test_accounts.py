"""Accounts over time (issue 18): a forgotten password, a temporary one from the administrator,
changing one's own, editing an account, and closing a leaver's account and reopening it."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from conftest import Browser
from helpers import PASSWORD, FakeSMTP
from sqlalchemy import select

from portfolio.admin.accounts import deactivate, edit_account
from portfolio.auth.resets import find_link, use_link
from portfolio.errors import DomainError
from portfolio.models import AuditEvent, LoginSession, PasswordReset, User, utcnow

NEW = "lantern orchard velvet 42"


@pytest.fixture
def mail(app, monkeypatch):
    FakeSMTP.sent = []
    monkeypatch.setattr("smtplib.SMTP", FakeSMTP)
    app.config.update(MAIL_SERVER="smtp.example.test", JOBS_BACKGROUND=False,
                      PUBLIC_URL="https://p.example")
    return FakeSMTP.sent


def _ask(browser, email):
    return browser.submit("/password/forgot", {"email": email})


def _link(mail) -> str:
    (msg,) = mail
    url = re.search(r"https://p\.example(/password/reset/[\w-]{43,})", msg.get_content())
    return url.group(1)


def _actions(db) -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


# Forgotten passwords


def test_without_email_the_page_says_to_ask_the_administrator(db, browser, people):
    page = browser.client.get("/password/forgot").text
    assert "does not send email" in page and "temporary password" in page
    assert 'name="email"' not in page
    assert browser.client.get("/login").text.count("/password/forgot") == 1
    assert db.session.query(PasswordReset).count() == 0


def test_the_answer_is_the_same_whether_or_not_the_address_has_an_account(db, browser, people,
                                                                           mail):
    known = _ask(browser, people["learner"].email)
    unknown = _ask(browser, "nobody@test.example")
    assert known.status_code == unknown.status_code == 200
    assert known.text.replace(people["learner"].email, "X") == \
        unknown.text.replace("nobody@test.example", "X")
    assert "If X has an account here, we have emailed it a link" in known.text.replace(
        people["learner"].email, "X")
    (msg,) = mail  # only the real account got an email
    assert msg["To"] == people["learner"].email
    assert "works once" in msg.get_content()


def test_a_learner_resets_a_forgotten_password_from_the_link(app, db, client, browser, people,
                                                             portfolios, mail):
    learner = people["learner"]
    browser.login(learner)
    other_device = app.test_client()
    other_device.set_cookie("session", client.get_cookie("session").value)
    own = f"/portfolios/{portfolios['own'].id}"
    assert other_device.get(own).status_code == 200
    anon = Browser(app.test_client())
    _ask(anon, learner.email)
    link = _link(mail)
    assert anon.client.get(link).status_code == 200
    # A weak password and a mismatch are refused with the reason; the link still works.
    weak = anon.submit(link, {"password": "password123", "password2": "password123"})
    assert weak.status_code == 422 and "too easy to guess" in weak.text
    differ = anon.submit(link, {"password": NEW, "password2": NEW + "x"})
    assert differ.status_code == 422 and "different" in differ.text
    done = anon.submit(link, {"password": NEW, "password2": NEW})
    assert done.status_code == 302 and done.headers["Location"] == "/login"
    # Every sign-in of the account ended; the old password is gone, the new one works.
    assert other_device.get(own).status_code == 302
    assert "do not match" in Browser(app.test_client()).login(learner).text
    assert Browser(app.test_client()).login(learner, NEW).status_code == 302
    # Used once.
    again = anon.client.get(link)
    assert again.status_code == 410 and "already been used" in again.text
    assert anon.client.post(link, data={"password": NEW, "password2": NEW,
                                        "csrf_token": anon.token("/login")}).status_code == 410
    assert "user.password_reset" in _actions(db)
    assert db.session.scalar(select(PasswordReset)).token_hash not in link  # only the hash


def test_an_expired_link_and_an_older_link_do_not_work(db, browser, people, mail):
    _ask(browser, people["learner"].email)
    first = _link(mail)
    mail.clear()
    _ask(browser, people["learner"].email)
    second = _link(mail)
    assert browser.client.get(first).status_code == 410  # a newer one was sent
    row = find_link(second.rsplit("/", 1)[1])
    row.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    expired = browser.client.get(second)
    assert expired.status_code == 410 and "expired" in expired.text
    assert browser.client.get("/password/reset/" + "x" * 43).status_code == 404


def test_two_uses_of_one_link_at_once_set_one_password(db, people, mail, browser):
    _ask(browser, people["learner"].email)
    token = _link(mail).rsplit("/", 1)[1]
    first, second = find_link(token), find_link(token)  # both read it unused
    now = utcnow()
    use_link(first, NEW, NEW, now=now)
    with pytest.raises(DomainError, match="already been used|just used"):
        use_link(second, "another fine passphrase 9", "another fine passphrase 9", now=now)
    db.session.commit()


def test_a_closed_account_gets_no_link(db, browser, people, mail):
    deactivate(people["learner"], "Left", actor=people["admin"])
    db.session.commit()
    assert "If" in _ask(browser, people["learner"].email).text
    assert mail == []


# Temporary passwords and changing one's own


def test_a_temporary_password_must_be_changed_at_the_next_sign_in(app, db, client, browser,
                                                                  people, portfolios):
    learner = people["learner"]
    phone = Browser(app.test_client())
    phone.login(learner)
    admin = Browser(app.test_client())
    admin.login(people["admin"])
    shown = admin.submit(f"/admin/users/{learner.id}/temporary-password", {},
                         form_url=f"/admin/users/{learner.id}")
    assert shown.status_code == 200
    temporary = re.search(r'id="temporary-password"[^>]*>([^<]+)<', shown.text).group(1)
    assert "no-store" in shown.headers["Cache-Control"]
    assert phone.client.get("/portfolios/").status_code == 302  # signed out everywhere
    assert "do not match" in browser.login(learner).text  # the old one is gone
    signed_in = browser.login(learner, temporary)
    assert signed_in.headers["Location"] == "/account/password"
    # Nothing else until a new one is chosen, not even a POST.
    own = f"/portfolios/{portfolios['own'].id}"
    assert client.get(own).headers["Location"] == "/account/password"
    token = browser.token("/account/password")
    assert client.post("/inbox/read", data={"csrf_token": token}).headers["Location"] == \
        "/account/password"
    page = client.get("/account/password").text
    assert "Choose your own password" in page and 'name="current"' not in page
    chosen = browser.submit("/account/password", {"password": NEW, "password2": NEW})
    assert chosen.status_code == 302
    assert client.get(own).status_code == 200  # this browser stays signed in
    db.session.expire_all()
    assert not db.session.get(User, learner.id).must_change_password
    assert {"user.password_temporary", "user.password_set"} <= set(_actions(db))


def test_changing_ones_own_password_signs_out_everywhere_else(app, db, client, browser, people,
                                                              portfolios):
    learner = people["learner"]
    browser.login(learner)
    phone = Browser(app.test_client())
    phone.login(learner)
    wrong = browser.submit("/account/password", {"current": "not it", "password": NEW,
                                                 "password2": NEW})
    assert wrong.status_code == 422 and "not your current password" in wrong.text
    same = browser.submit("/account/password", {"current": PASSWORD, "password": PASSWORD,
                                                "password2": PASSWORD})
    assert same.status_code == 422 and "must be different" in same.text
    done = browser.submit("/account/password", {"current": PASSWORD, "password": NEW,
                                                "password2": NEW})
    assert done.status_code == 302
    assert client.get("/portfolios/", follow_redirects=True).status_code == 200
    assert "Sign out" in client.get("/portfolios/", follow_redirects=True).text
    assert phone.client.get("/portfolios/").headers["Location"].startswith("/login")
    live = db.session.scalars(select(LoginSession).where(LoginSession.ended_at.is_(None)))
    assert len(list(live)) == 1


# Editing an account


def test_an_admin_edits_name_and_email_and_it_is_audited(db, browser, people):
    learner = people["learner"]
    browser.login(people["admin"])
    done = browser.submit(f"/admin/users/{learner.id}", {
        "name": "Lee Learner-Smith", "email": "Lee.Smith@Test.example", "role": "learner"})
    assert done.status_code == 302
    db.session.expire_all()
    changed = db.session.get(User, learner.id)
    assert (changed.name, changed.email) == ("Lee Learner-Smith", "lee.smith@test.example")
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.changed"))
    assert "name, email" in event.summary
    taken = browser.submit(f"/admin/users/{learner.id}", {
        "name": "Lee", "email": people["assessor"].email, "role": "learner"})
    assert taken.status_code == 422 and "already an account" in taken.text
    assert 'value="Lee"' in taken.text  # what was typed is kept


def test_a_role_change_is_refused_while_portfolios_name_the_person(db, people, portfolios):
    with pytest.raises(DomainError, match="Give those portfolios someone else first"):
        edit_account(people["assessor"], name="Assessor", email=people["assessor"].email,
                     role="iqa", actor=people["admin"])
    with pytest.raises(DomainError, match="own role"):
        edit_account(people["admin"], name="Admin", email=people["admin"].email,
                     role="learner", actor=people["admin"])


def test_a_new_role_ends_the_persons_sign_ins(app, db, browser, people, make_user):
    spare = make_user("assessor", name="Sol Spare")
    Browser(app.test_client()).login(spare)
    phone = app.test_client()
    Browser(phone).login(spare)
    browser.login(people["admin"])
    done = browser.submit(f"/admin/users/{spare.id}", {
        "name": spare.name, "email": spare.email, "role": "iqa"})
    assert done.status_code == 302
    assert "signed out" in browser.client.get(done.headers["Location"]).text
    assert phone.get("/portfolios/").headers["Location"].startswith("/login")


# Closing a leaver's account


def test_a_leaver_is_closed_and_their_work_stays(app, db, client, browser, people, portfolios,
                                                 make_evidence):
    assessor = people["assessor"]
    make_evidence(portfolios["own"], title="Complaint email")
    desk = Browser(app.test_client())
    desk.login(assessor)
    browser.login(people["admin"])
    page = f"/admin/users/{assessor.id}"
    missing = browser.submit(f"{page}/close", {"why": ""}, form_url=page)
    assert missing.status_code == 422 and "Say why" in missing.text
    done = browser.submit(f"{page}/close", {"why": "Left on 30 November"}, form_url=page)
    assert done.status_code == 302
    shown = client.get(page).text
    assert "Closed on" in shown and "Left on 30 November" in shown
    assert "Needs another assessor or IQA" in shown
    assert "1 open portfolio needs another assessor or IQA" in shown  # the flash
    # Signed out at once, cannot sign in (and is told why once the password is right).
    assert desk.client.get("/portfolios/").headers["Location"].startswith("/login")
    refused = Browser(app.test_client()).login(assessor)
    assert refused.status_code == 403 and "closed by the centre" in refused.text
    # Their portfolio stays readable, flagged for reassignment until someone takes it over.
    index = client.get("/admin/").text
    assert "1 open portfolio needs another assessor or IQA" in index and "left" in index
    assert "Complaint email" in client.get(f"/portfolios/{portfolios['own'].id}").text
    browser.submit(f"/admin/portfolios/{portfolios['own'].id}/people", {
        "assessor": people["other_assessor"].id, "iqa": people["iqa"].id})
    assert "needs another assessor" not in client.get("/admin/").text
    # Reopened: they sign in again with their own password.
    browser.submit(f"{page}/reopen", {}, form_url=page)
    assert Browser(app.test_client()).login(assessor).status_code == 302
    assert {"user.deactivated", "user.reactivated"} <= set(_actions(db))


def test_nobody_closes_their_own_account_or_the_last_admin(db, people, make_user):
    with pytest.raises(DomainError, match="your own account"):
        deactivate(people["admin"], "Leaving", actor=people["admin"])
    second = make_user("admin", name="Second Admin")
    deactivate(second, "Temporary cover ended", actor=people["admin"])
    db.session.commit()
    with pytest.raises(DomainError, match="only open administrator"):
        deactivate(people["admin"], "Leaving", actor=second)


def test_a_temporary_password_and_required_two_step_lead_to_each_other_not_round(
        app, db, client, browser, people):
    """Staff who must set up two-step sign-in and choose a password do both, in turn."""
    import pyotp
    from totp_support import codes_on, secret_on

    from portfolio.auth.resets import set_temporary

    app.config["MFA_REQUIRED_FOR_STAFF"] = True
    assessor = people["assessor"]
    temporary = set_temporary(assessor, actor=people["admin"], now=utcnow())
    db.session.commit()
    browser.login(assessor, temporary)
    landed = client.get("/portfolios/", follow_redirects=True)  # no loop of redirects
    assert landed.request.path == "/account/two-step"
    secret = secret_on(landed.text)
    done = browser.submit("/account/two-step", {"code": pyotp.TOTP(secret).now()})
    assert len(codes_on(done.text)) == 10
    forced = client.get("/portfolios/", follow_redirects=True)
    assert forced.request.path == "/account/password"
    assert "Choose your own password" in forced.text
    assert browser.submit("/account/password", {"password": NEW, "password2": NEW}
                          ).status_code == 302
    assert client.get("/portfolios/").status_code == 200
