"""Two-step sign-in: setting it up with a real authenticator code, the second step of signing
in, codes used once, recovery codes, the shared lock, the staff requirement, turning it off,
an administrator's reset, and a half-signed-in session that reaches nothing."""

from __future__ import annotations

import re
import threading
import time
from datetime import timedelta

import pyotp
import pytest
from helpers import PASSWORD
from sqlalchemy import select

from portfolio import totp
from portfolio.auth import two_step
from portfolio.auth.pending import PENDING_KEY, PENDING_SECONDS
from portfolio.errors import DomainError, NotAllowed
from portfolio.models import AuditEvent, LoginSession, RecoveryCode, UserTotp, utcnow


def secret_on(page_text: str) -> str:
    """The key as the set-up page shows it to someone who cannot scan (groups of four)."""
    match = re.search(r'id="secret-key"[^>]*>([A-Z2-7 ]+)<', page_text)
    assert match, "no key shown as text"
    assert re.fullmatch(r"([A-Z2-7]{4} )+[A-Z2-7]{1,4}", match.group(1))
    return match.group(1).replace(" ", "")


def codes_on(page_text: str) -> list[str]:
    return re.findall(r"<li><code>([0-9a-z-]{19})</code></li>", page_text)


def wrong_code(secret: str) -> str:
    """Six digits that are not the code of any step the server accepts now."""
    valid = {totp.code_at(secret, utcnow() + timedelta(seconds=30 * d)) for d in (-1, 0, 1)}
    return next(c for c in ("000000", "111111", "222222", "333333") if c not in valid)


def enrol_through_pages(browser, user) -> tuple[str, list[str]]:
    """Sign in, set up two-step sign-in with the app's real code; returns (secret, codes)."""
    browser.login(user)
    page = browser.client.get("/account/two-step")
    assert page.status_code == 200
    secret = secret_on(page.text)
    done = browser.submit("/account/two-step", {"code": pyotp.TOTP(secret).now()})
    assert done.status_code == 200, done.text
    codes = codes_on(done.text)
    assert len(codes) == 10
    return secret, codes


def enrol(db, user) -> tuple[str, list[str]]:
    """The same through the services, for tests about what follows."""
    secret = two_step.start_enrolment(user)
    now = utcnow() - timedelta(seconds=60)  # an earlier step, so today's code is still fresh
    codes = two_step.confirm_enrolment(user, totp.code_at(secret, now), now=now,
                                       keep_session=None)
    db.session.commit()
    return secret, codes


def sign_out(browser):
    browser.client.post("/logout", data={"csrf_token": browser.token("/account")})


def password_step(browser, user, next_url=None):
    response = browser.login(user, next_url=next_url)
    assert response.status_code == 302 and response.headers["Location"] == "/login/code"
    return response


def events(db, action) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


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

    def use():
        user = _db.session.get(User, learner.id)
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


def test_staff_must_set_it_up_before_anything_else(app, db, client, browser, people,
                                                   portfolios):
    app.config["MFA_REQUIRED_FOR_STAFF"] = True
    assessor = people["assessor"]
    landed = browser.login(assessor)
    assert landed.status_code == 302
    for url in ("/portfolios/", f"/portfolios/{portfolios['own'].id}", "/inbox/", "/account",
                "/quality/"):
        response = client.get(url)
        assert response.headers.get("Location") == "/account/two-step", url
    assert "Your centre asks staff" in client.get("/account/two-step").text
    with client.get("/static/app.css") as static:
        assert static.status_code == 200
    assert client.get("/accessibility").status_code == 200
    # A POST elsewhere is sent to set it up too, and nothing is done.
    token = browser.token("/account/two-step")
    assert client.post("/inbox/read", data={"csrf_token": token}).headers["Location"] == \
        "/account/two-step"
    page = client.get("/account/two-step")
    done = browser.submit("/account/two-step", {"code": pyotp.TOTP(secret_on(page.text)).now()})
    assert done.status_code == 200 and len(codes_on(done.text)) == 10
    assert client.get("/portfolios/").status_code == 200
    # It cannot be turned off while required.
    account = client.get("/account").text
    assert "Your centre requires two-step sign-in for staff" in account
    assert 'value="Turn off two-step sign-in"' not in account
    with pytest.raises(NotAllowed, match="requires two-step sign-in"):
        two_step.turn_off(assessor, PASSWORD, "123456", now=utcnow())
    assert two_step.is_on(assessor)
    # Signing out is always possible.
    sign_out(browser)
    assert client.get("/portfolios/").headers["Location"].startswith("/login")


def test_the_requirement_reaches_every_staff_role_and_not_learners(app, db, client, browser,
                                                                   people, portfolios,
                                                                   eqa_grant):
    app.config["MFA_REQUIRED_FOR_STAFF"] = True
    for user in (people["iqa"], people["admin"], eqa_grant.eqa):
        browser.login(user)
        assert client.get("/portfolios/").headers.get("Location") == "/account/two-step"
        assert client.get("/account/two-step").status_code == 200  # the EQA's too
        sign_out(browser)
    browser.login(people["learner"])
    assert client.get(f"/portfolios/{portfolios['own'].id}").status_code == 200


def test_a_learner_may_turn_it_on_and_off(app, db, client, browser, people, portfolios):
    app.config["MFA_REQUIRED_FOR_STAFF"] = True  # learners choose, whatever the setting
    learner = people["learner"]
    secret, codes = enrol_through_pages(browser, learner)
    off = "/account/two-step/off"
    wrong_password = browser.submit(off, {"current_password": "nope", "code": codes[0]},
                                    form_url="/account")
    assert wrong_password.status_code == 422 and "not your current password" in \
        wrong_password.text
    wrong = browser.submit(off, {"current_password": PASSWORD, "code": wrong_code(secret)},
                           form_url="/account")
    assert wrong.status_code == 422 and "That code is not right" in wrong.text
    empty = browser.submit(off, {}, form_url="/account")
    assert empty.status_code == 422 and "Enter your current password." in empty.text
    assert two_step.is_on(learner)
    done = browser.submit(off, {"current_password": PASSWORD, "code": codes[0]},
                          form_url="/account")
    assert done.status_code == 302
    assert "Two-step sign-in is off" in client.get("/account").text
    assert not two_step.is_on(learner) and two_step.codes_left(learner) == 0
    assert len(events(db, "mfa.disabled")) == 1
    sign_out(browser)
    assert browser.login(learner).headers["Location"] == "/portfolios/"  # password only


def test_turning_it_on_ends_the_accounts_other_sign_ins(app, db, client, browser, people,
                                                        portfolios):
    from conftest import Browser

    learner = people["learner"]
    other = app.test_client()
    Browser(other).login(learner)
    assert other.get(f"/portfolios/{portfolios['own'].id}").status_code == 200
    enrol_through_pages(browser, learner)
    assert other.get(f"/portfolios/{portfolios['own'].id}").status_code == 302
    assert client.get(f"/portfolios/{portfolios['own'].id}").status_code == 200


def test_an_admin_sees_who_has_it_and_resets_it(db, client, browser, people, portfolios):
    learner, admin = people["learner"], people["admin"]
    secret, _ = enrol(db, learner)
    browser.login(admin)
    listing = client.get("/admin/").text
    assert "Two-step sign-in" in listing and f"two-step sign-in for {learner.name}" in listing
    token = browser.token("/admin/")
    done = client.post(f"/admin/users/{learner.id}/two-step/reset",
                       data={"csrf_token": token})
    assert done.status_code == 302
    assert "Two-step sign-in reset for" in client.get("/admin/").text
    assert not two_step.is_on(learner) and two_step.codes_left(learner) == 0
    reset = events(db, "mfa.reset")
    assert len(reset) == 1 and reset[0].actor_id == admin.id and str(learner.id) in \
        reset[0].detail_json
    again = client.post(f"/admin/users/{learner.id}/two-step/reset",
                        data={"csrf_token": token}, follow_redirects=True)
    assert "does not have two-step sign-in set up" in again.text
    sign_out(browser)
    assert browser.login(learner).headers["Location"] == "/portfolios/"
    enrol(db, admin)  # (which ends the admin's sign-ins made without it)
    with pytest.raises(DomainError, match="cannot reset your own"):
        two_step.reset(admin, actor=admin)
    assert two_step.is_on(admin)


def test_only_an_admin_resets_it(db, people):
    enrol(db, people["learner"])
    with pytest.raises(NotAllowed, match="Only an administrator"):
        two_step.reset(people["learner"], actor=people["assessor"])


def test_the_command_line_resets_it(app, db, people):
    admin = people["admin"]
    enrol(db, admin)
    result = app.test_cli_runner().invoke(args=["users", "reset-two-step", admin.email])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert not two_step.is_on(admin) and len(events(db, "mfa.reset")) == 1
    again = app.test_cli_runner().invoke(args=["users", "reset-two-step", admin.email])
    assert again.exit_code != 0 and "does not have two-step" in again.output


def test_the_secret_outlives_a_key_rotation_only_with_the_old_key_kept(app, db, client,
                                                                        browser, people):
    learner = people["learner"]
    secret, _ = enrol(db, learner)
    sealed = db.session.scalar(select(UserTotp.secret_sealed))
    app.config.update(SECRET_KEY="rotated", SECRET_KEY_FALLBACKS=["test"])
    password_step(browser, learner)
    assert browser.submit("/login/code", {"code": pyotp.TOTP(secret).now()}).status_code == 302
    db.session.expire_all()
    resealed = db.session.scalar(select(UserTotp.secret_sealed))
    assert resealed != sealed  # sealed again under the current key
    assert totp.SecretBox("rotated").open(resealed) == (secret, True)
    assert totp.SecretBox("another").open(resealed) == (None, False)
    app.config.update(SECRET_KEY="another", SECRET_KEY_FALLBACKS=[])
    sign_out(browser)
    password_step(browser, learner)
    page = browser.submit("/login/code", {"code": totp.code_at(secret, utcnow() + timedelta(
        seconds=30))})
    assert page.status_code == 200 and "its key has changed" in page.text


def test_codes_and_keys_as_people_see_them():
    secret = totp.new_secret()
    assert len(secret) == 32 and totp.grouped(secret).count(" ") == 7
    now = utcnow()
    assert totp.matching_step(secret, totp.code_at(secret, now), now) is not None
    assert totp.matching_step(secret, totp.code_at(secret, now - timedelta(seconds=30)), now)
    assert totp.matching_step(secret, totp.code_at(secret, now - timedelta(seconds=90)),
                              now) is None
    assert totp.matching_step(secret, "12345", now) is None
    spaced = totp.code_at(secret, now)
    assert totp.matching_step(secret, f"{spaced[:3]} {spaced[3:]}", now) is not None
    codes = totp.new_recovery_codes()
    assert len(set(codes)) == 10 and all(re.fullmatch(r"([0-9a-z]{4}-){3}[0-9a-z]{4}", c)
                                         for c in codes)
    assert totp.hash_recovery_code(codes[0]) == totp.hash_recovery_code(
        codes[0].upper().replace("-", " "))
    uri = totp.provisioning_uri(secret, account="a@b.example", issuer="Demo Centre")
    assert uri.startswith("otpauth://totp/") and f"secret={secret}" in uri
    svg = totp.qr_svg(uri)  # drawn here: nothing in it points anywhere
    assert svg.startswith("<svg") and "<path" in svg and "href" not in svg


def test_refreshing_the_demo_turns_off_two_step_tried_on_a_demo_login(app, db):
    from portfolio.auth.services import find_user
    from portfolio.demo import seed_demo

    seed_demo(password="demo password one")
    db.session.commit()
    assessor = find_user("assessor@demo.test")
    enrol(db, assessor)
    seed_demo(password="demo password two")
    db.session.commit()
    assert not two_step.is_on(assessor)
    assert [e.summary for e in events(db, "mfa.reset")] == [
        "Two-step sign-in reset for assessor@demo.test"]
