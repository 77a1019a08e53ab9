"""Two-step sign-in over time: required of staff, turned on and off, reset by an
administrator or the command line, and its secret across a key rotation."""

from __future__ import annotations

import re
from datetime import timedelta

import pyotp
import pytest
from helpers import PASSWORD
from sqlalchemy import select
from totp_support import (
    codes_on,
    enrol,
    enrol_through_pages,
    events,
    password_step,
    secret_on,
    sign_out,
    wrong_code,
)

from portfolio import totp
from portfolio.auth import two_step
from portfolio.errors import DomainError, NotAllowed
from portfolio.models import UserTotp, utcnow


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
