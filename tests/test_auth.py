"""Signing in: one generic message, safe redirects, strong hashes, cookie settings."""

import re
from pathlib import Path

import pytest
from helpers import PASSWORD
from sqlalchemy import select

from portfolio import create_app
from portfolio.auth.services import authenticate, create_user, hash_password
from portfolio.auth.views import GENERIC_FAILURE, safe_next
from portfolio.errors import DomainError
from portfolio.models import UnknownSignIn


def test_wrong_password_and_unknown_email_get_the_same_message(browser, people):
    wrong = browser.login(people["learner"], password="not it at all")
    unknown = browser.login("nobody@test.example")
    for response in (wrong, unknown):
        assert response.status_code == 200
        assert GENERIC_FAILURE in response.text
    assert "nobody@test.example" not in unknown.text.replace('value="nobody@test.example"', "")


def test_login_then_home_by_role(browser, people, portfolios):
    assert browser.login(people["learner"]).headers["Location"] == "/portfolios/"
    browser.client.post("/logout", data={"csrf_token": browser.token("/portfolios/")})
    assert browser.login(people["admin"]).headers["Location"] == "/admin/"


def test_disabled_account_cannot_sign_in(db, browser, people):
    people["learner"].active = False
    db.session.commit()
    response = browser.login(people["learner"])
    assert response.status_code == 403 and "closed by the centre" in response.text


def test_email_is_case_insensitive(db, people):
    assert authenticate(people["learner"].email.upper(), PASSWORD) is not None


@pytest.mark.parametrize("target,allowed", [
    ("/evidence/3", "/evidence/3"),
    ("https://evil.example/", None),
    ("//evil.example/", None),
    ("/\\evil.example", None),
    ("javascript:alert(1)", None),
    ("/ok\r\nSet-Cookie: x=1", None),
    ("", None),
])
def test_next_only_goes_to_local_paths(target, allowed):
    assert safe_next(target) == allowed


def test_next_is_followed_after_login(browser, people, portfolios):
    response = browser.login(people["learner"], next_url="/portfolios/1")
    assert response.headers["Location"] == "/portfolios/1"
    browser.client.post("/logout", data={"csrf_token": browser.token("/portfolios/")})
    response = browser.login(people["assessor"], next_url="https://evil.example/")
    assert response.headers["Location"] == "/portfolios/"


def test_logout_needs_post_with_csrf(client, browser, people, portfolios):
    browser.login(people["learner"])
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 400  # no CSRF token
    assert client.post("/logout", data={"csrf_token": browser.token("/portfolios/")}
                       ).status_code == 302
    assert client.get("/portfolios/").status_code == 302


def test_password_hashes_are_salted_scrypt():
    a, b = hash_password("same password"), hash_password("same password")
    assert a != b and a.startswith("scrypt:")


def test_duplicate_and_short_passwords_refused(db, people):
    with pytest.raises(DomainError, match="already an account"):
        create_user(email=people["learner"].email.upper(), name="X", role="learner",
                    password="long enough password", actor=None)
    with pytest.raises(DomainError, match="at least 10"):
        create_user(email="new@test.example", name="X", role="learner", password="short",
                    actor=None)


def test_secret_key_is_generated_once_in_the_instance_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    settings = {"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"}
    first = create_app(settings, instance_path=str(tmp_path))
    key_file = Path(first.instance_path) / "secret_key"
    assert key_file.exists() and oct(key_file.stat().st_mode & 0o777) == "0o600"
    again = create_app(settings, instance_path=str(tmp_path))
    assert again.config["SECRET_KEY"] == first.config["SECRET_KEY"]


def test_secret_key_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    app = create_app({"TESTING": True}, instance_path=str(tmp_path))
    assert app.config["SECRET_KEY"] == "from-the-environment"
    assert not (tmp_path / "secret_key").exists()


def test_cookie_settings(app, tmp_path, monkeypatch):
    assert app.config["SESSION_COOKIE_HTTPONLY"] and app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    monkeypatch.setenv("SESSION_COOKIE_SECURE", "1")
    secure = create_app({"TESTING": True}, instance_path=str(tmp_path))
    assert secure.config["SESSION_COOKIE_SECURE"] is True


def test_security_headers(client):
    response = client.get("/login")
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"


def _copy_of(app, client):
    """A second browser holding a copy of `client`'s session cookie, as a thief would."""
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def test_a_copied_cookie_stops_working_at_sign_out(app, db, client, browser, people,
                                                   portfolios):
    from sqlalchemy import select

    from portfolio.models import LoginSession

    browser.login(people["learner"])
    thief = _copy_of(app, client)
    own = f"/portfolios/{portfolios['own'].id}"
    assert thief.get(own).status_code == 200  # the copy works while the session lasts
    client.post("/logout", data={"csrf_token": browser.token("/portfolios/")})
    assert thief.get(own).status_code == 302  # ended on the server: back to sign in
    assert "/login" in thief.get(own).headers["Location"]
    row = db.session.scalar(select(LoginSession))
    assert row.ended_why == "signed out" and row.ended_at is not None
    # Only a hash of the session's key is kept.
    with client.session_transaction() as s:
        assert "sign_in" not in s
    assert len(row.key_hash) == 64


def test_a_session_ends_at_its_absolute_lifetime_whatever_was_sent(app, db, client, browser,
                                                                   people, portfolios):
    from datetime import timedelta

    from sqlalchemy import select

    from portfolio.models import LoginSession, utcnow

    browser.login(people["learner"])
    own = f"/portfolios/{portfolios['own'].id}"
    for _ in range(3):  # busy: pages and a POST do not extend it
        assert client.get(own).status_code == 200
    browser.submit("/inbox/read", {}, form_url="/inbox/")
    row = db.session.scalar(select(LoginSession))
    hours = app.config["PERMANENT_SESSION_LIFETIME"] / 3600
    row.created_at = utcnow() - timedelta(hours=hours, minutes=1)
    db.session.commit()
    response = client.get(own)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_each_sign_in_is_its_own_session(app, db, client, browser, people):
    """Signing out on one device leaves the account's other sign-ins alone."""
    from sqlalchemy import select

    from portfolio.models import LoginSession

    browser.login(people["learner"])
    phone = app.test_client()
    from conftest import Browser
    Browser(phone).login(people["learner"])
    client.post("/logout", data={"csrf_token": browser.token("/portfolios/")})
    assert phone.get("/portfolios/").status_code in (200, 302)
    assert "Sign out" in phone.get("/portfolios/", follow_redirects=True).text
    assert [r.ended_at is None for r in db.session.scalars(
        select(LoginSession).order_by(LoginSession.id))] == [False, True]


def test_a_new_password_ends_every_sign_in_of_the_account(app, db, client, browser, people,
                                                          portfolios):
    from portfolio.auth.services import set_password

    browser.login(people["learner"])
    own = f"/portfolios/{portfolios['own'].id}"
    assert client.get(own).status_code == 200
    set_password(people["learner"], "a much better passphrase 7", actor=people["admin"])
    db.session.commit()
    assert client.get(own).status_code == 302


@pytest.mark.parametrize("weak", ["aaaaaaaaaa", "1234567890", "password123", "qwertyuiop",
                                  "Summer2026!", "abcdefghij"])
def test_common_and_trivial_passwords_are_refused_with_advice(db, weak):
    with pytest.raises(DomainError, match="too easy to guess") as refused:
        create_user(email="new@test.example", name="Nia Patel", role="learner", password=weak,
                    actor=None)
    assert "A few unrelated words together" in str(refused.value)


def test_a_password_made_of_the_persons_own_name_is_refused(db):
    with pytest.raises(DomainError, match="too easy to guess"):
        create_user(email="nia.patel@test.example", name="Nia Patel", role="learner",
                    password="niapatel2026", actor=None)
    create_user(email="nia.patel@test.example", name="Nia Patel", role="learner",
                password="copper kettle orbit", actor=None)


def test_two_hundred_wrong_passwords_are_slowed_and_locked(app, db, client, browser, people):
    """Five wrong in a row lock the account for a minute, each further one doubles it (at
    most an hour); while locked even the right password is refused, saying why, and nothing
    is counted; once the lock ends the right password works and the count starts again."""
    from datetime import timedelta

    from portfolio.auth.services import lock_minutes
    from portfolio.models import utcnow

    learner = people["learner"]
    codes = [browser.submit("/login", {"email": learner.email, "password": f"guess {n}"}
                            ).status_code for n in range(200)]
    assert codes[:5] == [200] * 5 and set(codes[5:]) == {429}
    db.session.refresh(learner)
    assert learner.failed_logins == 5  # attempts during a lock are not counted
    assert timedelta(seconds=50) < learner.locked_until - utcnow() <= timedelta(minutes=1)
    page = browser.submit("/login", {"email": learner.email, "password": PASSWORD})
    assert page.status_code == 429 and "signing in is paused until" in page.text
    assert "someone may be guessing your password" in page.text
    learner.locked_until = utcnow() - timedelta(seconds=1)  # the minute has passed
    db.session.commit()
    assert browser.submit("/login", {"email": learner.email, "password": "guess again"}
                          ).status_code == 200
    db.session.refresh(learner)
    assert learner.failed_logins == 6 and learner.locked_until - utcnow() > timedelta(
        minutes=1, seconds=50)  # the next lock is twice as long
    learner.locked_until = None
    db.session.commit()
    assert browser.submit("/login", {"email": learner.email, "password": PASSWORD}
                          ).status_code == 302
    db.session.refresh(learner)
    assert learner.failed_logins == 0 and learner.locked_until is None
    assert [lock_minutes(n) for n in (4, 5, 6, 7, 11, 30)] == [0, 1, 2, 4, 60, 60]


def test_the_lock_does_not_tell_which_addresses_have_accounts(db, browser, people):
    """Wrong passwords at an address with no account get the same answers, lock included,
    as at a real account: the lock's words cannot be used to find accounts."""
    def answers(email):
        out = []
        for n in range(8):
            page = browser.submit("/login", {"email": email, "password": f"wrong guess {n}"})
            words = re.sub(r"until \d\d:\d\d", "until HH:MM", page.text)
            out.append((page.status_code, "paused until HH:MM" in words,
                        GENERIC_FAILURE.split(".")[0] in words))
        return out

    real, unknown = answers(people["learner"].email), answers("nobody@test.example")
    assert real == unknown
    assert real[4] == (200, False, True) and real[5] == (429, True, False)
    # Only a hash of the address is kept, and a day later it is forgotten.
    (row,) = db.session.scalars(select(UnknownSignIn))
    assert "nobody" not in row.key_hash and row.failures == 5
    from datetime import timedelta

    from portfolio.models import utcnow
    key = row.key_hash
    row.updated_at, row.locked_until = utcnow() - timedelta(days=2), None
    db.session.commit()
    browser.submit("/login", {"email": "someone.else@test.example", "password": "wrong one"})
    db.session.expire_all()
    assert db.session.get(UnknownSignIn, key) is None


def _limited_app(tmp_path):
    from helpers import PASSWORD as GOOD

    from portfolio.extensions import db

    app = create_app({"SECRET_KEY": "limits", "WTF_CSRF_ENABLED": False,
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'l.sqlite3'}",
                      "EVIDENCE_DIR": str(tmp_path / "evidence"),
                      "EXPORT_DIR": str(tmp_path / "exports"), "RATELIMIT_ENABLED": True,
                      "LOGIN_RATE_PER_ACCOUNT": "3 per minute",
                      "LOGIN_RATE_PER_ADDRESS": "5 per minute"},
                     instance_path=str(tmp_path / "instance"))
    with app.app_context():
        db.create_all()
        for email, name in (("a@test.example", "Ann"), ("b@test.example", "Ben")):
            create_user(email=email, name=name, role="learner", password=GOOD, actor=None)
        db.session.commit()
    client = app.test_client()

    def attempt(email, password="wrong guess here"):  # noqa: S107  (a wrong one, on purpose)
        return client.post("/login", data={"email": email, "password": password})
    return client, attempt, GOOD


def test_sign_in_attempts_are_limited_per_account(tmp_path):
    """Flask-Limiter (memory storage here; the job queue's Redis when REDIS_URL is set): past
    LOGIN_RATE_PER_ACCOUNT attempts at one account the form is not even tried, the right
    password included, and a page says why (429); another account is not held up."""
    client, attempt, good = _limited_app(tmp_path)
    assert [attempt("a@test.example").status_code for _ in range(3)] == [200, 200, 200]
    refused = attempt("a@test.example", good)
    assert refused.status_code == 429 and "Too many sign-in attempts" in refused.text
    assert "Wait a minute and sign in again" in refused.text
    assert attempt("b@test.example", good).status_code == 302
    assert client.get("/login").status_code == 302  # signed in as Ben: the page is not limited


def test_sign_in_attempts_are_limited_per_address(tmp_path):
    """Past LOGIN_RATE_PER_ADDRESS attempts from one address, whatever the accounts."""
    client, attempt, _good = _limited_app(tmp_path)
    codes = [attempt(f"someone{n}@test.example").status_code for n in range(7)]
    assert codes[:5] == [200] * 5 and codes[5:] == [429, 429]
    assert client.get("/login").status_code == 200  # the page itself is never limited
