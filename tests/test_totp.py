"""Two-step sign-in: setting it up with a real authenticator code, the second step of signing
in, codes used once, recovery codes, the shared lock and rate limits, and a half-signed-in
session that reaches nothing (the rules over time: test_two_step_rules.py)."""

from __future__ import annotations

import re
import threading
import time
from datetime import timedelta

import pyotp
import pytest
from helpers import PASSWORD
from sqlalchemy import select
from totp_support import (
    codes_on,
    enrol,
    events,
    password_step,
    secret_on,
    sign_out,
    wrong_code,
)

from portfolio import totp
from portfolio.auth import two_step
from portfolio.auth.pending import PENDING_KEY, PENDING_SECONDS
from portfolio.models import LoginSession, RecoveryCode, UserTotp, utcnow


def test_setting_up_with_a_real_code_shows_ten_recovery_codes_once(db, client, browser,
                                                                   people, portfolios):
    learner = people["learner"]
    browser.login(learner)
    account = client.get("/account")
    assert account.status_code == 200 and learner.email in account.text
    assert "Off." in account.text and "/account/two-step" in account.text
    page = client.get("/account/two-step")
    secret = secret_on(page.text)
    # The QR code is drawn here, as inline SVG with a name for screen readers.
    assert re.search(r'<div class="qr" role="img" aria-label="QR code[^"]+"><svg', page.text)
    assert secret_on(client.get("/account/two-step").text) == secret  # a reload: same key
    refused = browser.submit("/account/two-step", {"code": wrong_code(secret)})
    assert refused.status_code == 422 and "That code does not match" in refused.text
    assert not two_step.is_on(learner)
    done = browser.submit("/account/two-step", {"code": pyotp.TOTP(secret).now()})
    codes = codes_on(done.text)
    assert len(set(codes)) == 10 and "Two-step sign-in is on" in done.text
    db.session.expire_all()
    row = db.session.scalar(select(UserTotp).where(UserTotp.user_id == learner.id))
    assert row.enabled_at is not None and row.last_step is not None
    assert secret not in row.secret_sealed  # encrypted at rest
    hashes = set(db.session.scalars(select(RecoveryCode.code_hash)))
    assert len(hashes) == 10 and not hashes & set(codes)  # only hashes kept
    assert [e.actor_id for e in events(db, "mfa.enabled")] == [learner.id]
    # Shown once: the page is gone, the account page says it is on.
    assert client.get("/account/two-step").status_code == 302
    assert "On</strong> since" in client.get("/account").text


def test_signing_in_asks_for_the_code_after_the_password(db, client, browser, people,
                                                         portfolios):
    learner = people["learner"]
    secret, _ = enrol(db, learner)
    password_step(browser, learner, next_url=f"/portfolios/{portfolios['own'].id}")
    assert client.get("/portfolios/").headers["Location"].startswith("/login?next=")
    assert db.session.scalar(select(LoginSession)) is None  # no sign-in held yet
    page = client.get("/login/code")
    assert page.status_code == 200 and 'autocomplete="one-time-code"' in page.text
    done = browser.submit("/login/code", {"code": pyotp.TOTP(secret).now()})
    assert done.status_code == 302
    assert done.headers["Location"] == f"/portfolios/{portfolios['own'].id}"
    assert client.get("/portfolios/").status_code in (200, 302)
    assert client.get(f"/portfolios/{portfolios['own'].id}").status_code == 200
    login = events(db, "auth.login")[-1]
    assert '"method": "totp"' in login.detail_json


def test_a_code_works_once(db, client, browser, people, portfolios):
    """The code used to set it up cannot sign in; nor can one code sign in twice, even two
    requests at the same instant."""
    learner = people["learner"]
    secret = two_step.start_enrolment(learner)
    now = utcnow()
    first = totp.code_at(secret, now)
    two_step.confirm_enrolment(learner, first, now=now, keep_session=None)
    db.session.commit()
    password_step(browser, learner)
    again = browser.submit("/login/code", {"code": first})
    assert again.status_code == 200 and "used already" in again.text
    later = utcnow() + timedelta(seconds=30)  # the next step's code (the phone a bit ahead)
    code = totp.code_at(secret, later)
    assert browser.submit("/login/code", {"code": code}).status_code == 302
    sign_out(browser)
    password_step(browser, learner)
    reused = browser.submit("/login/code", {"code": code})
    assert reused.status_code == 200 and "used already" in reused.text
    db.session.expire_all()
    with pytest.raises(two_step.WrongCode):  # the service refuses it too
        two_step.check_code(learner, code, now=later)


def test_one_code_sent_ten_times_at_once_works_once(app, db, people):
    from test_hostile_links import in_threads

    from portfolio.extensions import db as _db
    from portfolio.models import User

    learner = people["learner"]
    secret, _ = enrol(db, learner)
    code, barrier = pyotp.TOTP(secret).now(), threading.Barrier(10)
    # Read here, then the test's connection goes back to the pool: the ten threads need ten
    # of the pool's ten on PostgreSQL (and may not share this test's session).
    learner_id = learner.id
    db.session.commit()

    def use():
        user = _db.session.get(User, learner_id)
        barrier.wait()
        outcome = two_step.check_code(user, code, now=utcnow())
        _db.session.commit()
        return outcome

    results = in_threads(app, *[use] * 10)
    assert results.count("totp") == 1, results
    assert all(isinstance(r, two_step.WrongCode) for r in results if r != "totp")


def test_a_recovery_code_works_once(db, client, browser, people, portfolios):
    learner = people["learner"]
    _, codes = enrol(db, learner)
    password_step(browser, learner)
    done = browser.submit("/login/code", {"code": codes[3].upper().replace("-", " ")})
    assert done.status_code == 302
    page = client.get(done.headers["Location"], follow_redirects=True)
    assert "signed in with a recovery code" in page.text and "9 left" in page.text
    used = events(db, "mfa.recovery_code_used")
    assert len(used) == 1 and used[0].actor_id == learner.id
    assert '"method": "recovery code"' in events(db, "auth.login")[-1].detail_json
    sign_out(browser)
    password_step(browser, learner)
    again = browser.submit("/login/code", {"code": codes[3]})
    assert again.status_code == 200 and "That code is not right" in again.text
    assert two_step.codes_left(learner) == 9


def test_new_recovery_codes_end_the_old_ones(db, client, browser, people, portfolios):
    learner = people["learner"]
    secret, old = enrol(db, learner)
    password_step(browser, learner)
    browser.submit("/login/code", {"code": pyotp.TOTP(secret).now()})
    wrong = browser.submit("/account/two-step/recovery-codes",
                           {"current_password": "not my password"}, form_url="/account")
    assert wrong.status_code == 422 and "not your current password" in wrong.text
    assert 'id="error-summary"' in wrong.text
    made = browser.submit("/account/two-step/recovery-codes", {"current_password": PASSWORD},
                          form_url="/account")
    new = codes_on(made.text)
    assert made.status_code == 200 and len(new) == 10 and not set(new) & set(old)
    assert len(events(db, "mfa.recovery_codes_made")) == 1
    sign_out(browser)
    password_step(browser, learner)
    assert "That code is not right" in browser.submit("/login/code", {"code": old[0]}).text
    assert browser.submit("/login/code", {"code": new[0]}).status_code == 302


def test_wrong_codes_lock_the_account_like_wrong_passwords(db, client, browser, people):
    """The right password does not start the count again while the code is still to come:
    three wrong codes, the password again, two more wrong codes, and the account is locked
    (five in a row); then even the right code is refused, saying why."""
    learner = people["learner"]
    secret, _ = enrol(db, learner)
    password_step(browser, learner)
    for _ in range(3):
        assert browser.submit("/login/code", {"code": wrong_code(secret)}).status_code == 200
    password_step(browser, learner)
    for _ in range(2):
        assert browser.submit("/login/code", {"code": wrong_code(secret)}).status_code == 200
    db.session.refresh(learner)
    assert learner.failed_logins == 5 and learner.locked_until > utcnow()
    refused = browser.submit("/login/code", {"code": pyotp.TOTP(secret).now()})
    assert refused.status_code == 429 and "signing in is paused until" in refused.text
    assert client.get("/login/code").headers["Location"] == "/login"  # start again
    assert browser.login(learner).status_code == 429  # the password too, while locked
    learner.locked_until = utcnow() - timedelta(seconds=1)
    db.session.commit()
    password_step(browser, learner)
    assert browser.submit("/login/code", {"code": pyotp.TOTP(secret).now()}).status_code == 302
    db.session.refresh(learner)
    assert learner.failed_logins == 0 and learner.locked_until is None


def test_code_attempts_are_rate_limited(tmp_path):
    from helpers import PASSWORD as GOOD

    from portfolio import create_app
    from portfolio.auth.services import create_user
    from portfolio.extensions import db

    app = create_app({"SECRET_KEY": "limits", "WTF_CSRF_ENABLED": False,
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'l.sqlite3'}",
                      "EVIDENCE_DIR": str(tmp_path / "evidence"),
                      "EXPORT_DIR": str(tmp_path / "exports"), "RATELIMIT_ENABLED": True,
                      "LOGIN_RATE_PER_ACCOUNT": "3 per minute"},
                     instance_path=str(tmp_path / "instance"))
    with app.app_context():
        db.create_all()
        user = create_user(email="a@test.example", name="Ann", role="learner", password=GOOD,
                           actor=None)
        db.session.commit()
        secret, _ = enrol(db, user)
    client = app.test_client()
    assert client.post("/login", data={"email": "a@test.example", "password": GOOD}
                       ).headers["Location"] == "/login/code"
    codes = [client.post("/login/code", data={"code": wrong_code(secret)}).status_code
             for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    assert "Too many sign-in attempts" in client.post(
        "/login/code", data={"code": pyotp.TOTP(secret).now()}).text


def test_a_half_signed_in_session_reaches_no_page(app, db, client, browser, people,
                                                  portfolios):
    """Between the password and the code nobody is signed in: every page of the app that
    needs a sign-in sends this browser to sign in."""
    learner = people["learner"]
    enrol(db, learner)
    password_step(browser, learner)
    public = {"auth.login", "auth.login_code", "auth.accessibility", "auth.healthz",
              "auth.index", "witness.testimony", "eqa.invitation", "static",
              "bootstrap.static", "auth.oidc_start", "auth.oidc_callback",
              "auth.forgot_password", "auth.reset_password"}
    reached = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint in public:
            continue
        url = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", "1", rule.rule)
        response = client.get(url)
        response.close()
        if not (response.status_code == 302
                and response.headers["Location"].startswith("/login?next=")):
            reached.append(f"{url} ({rule.endpoint}): {response.status_code}")
    assert not reached, reached
    assert client.get("/").headers["Location"] == "/login"
    with client.session_transaction() as s:
        assert "_user_id" not in s and "sign_in" not in s and PENDING_KEY in s


def test_the_code_step_lasts_five_minutes_and_ends_with_a_new_password(db, client, browser,
                                                                       people):
    from portfolio.auth.services import set_password

    learner = people["learner"]
    secret, _ = enrol(db, learner)
    password_step(browser, learner)
    with client.session_transaction() as s:
        s[PENDING_KEY] = {**s[PENDING_KEY], "at": int(time.time()) - PENDING_SECONDS - 1}
    stale = client.get("/login/code")
    assert stale.status_code == 302 and stale.headers["Location"] == "/login"
    assert "lasts 5 minutes" in client.get("/login").text
    password_step(browser, learner)
    set_password(learner, "a much better passphrase 7", actor=None)
    db.session.commit()
    assert client.get("/login/code").headers["Location"] == "/login"
    assert browser.submit("/login/code", {"code": pyotp.TOTP(secret).now()},
                          form_url="/login").headers["Location"] == "/login"
