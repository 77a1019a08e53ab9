"""Where the ways in meet: guesses at the current password, reset links beside two-step
sign-in, resets that end sign-ins, and a college-account sign-in beside a temporary password
or a two-step requirement (each found by a review of issue 18, and fixed)."""

from __future__ import annotations

import pyotp
import pytest
from conftest import Browser
from helpers import PASSWORD
from sqlalchemy import select

# The local OpenID provider and its settings, as test_oidc.py runs them.
from test_oidc import (  # noqa: F401  (fixtures)
    _same_key_each_test,
    app_settings,
    as_person,
    college_sign_in,
    extra_settings,
    provider,
    signed_in,
)
from totp_support import enrol

from portfolio.admin.accounts import edit_account
from portfolio.auth import two_step
from portfolio.auth.resets import set_temporary, use_link
from portfolio.auth.services import NO_PASSWORD, check_current_password
from portfolio.errors import DomainError
from portfolio.models import LoginSession, PasswordReset, User, utcnow
from portfolio.tokens import hash_token, new_token

NEW = "lantern orchard velvet 42"


def _link(db, user) -> PasswordReset:
    link = PasswordReset(token_hash=hash_token(new_token()), user_id=user.id,
                         expires_at=utcnow().replace(year=utcnow().year + 1))
    db.session.add(link)
    db.session.commit()
    return link


def test_wrong_current_passwords_on_the_change_page_count_towards_the_lock(db, browser,
                                                                          people):
    learner = people["learner"]
    browser.login(learner)
    for n in range(5):
        wrong = browser.submit("/account/password", {"current": f"guess {n}",
                                                     "password": NEW, "password2": NEW})
        assert wrong.status_code == 422 and "not your current password" in wrong.text
    db.session.refresh(learner)
    assert learner.failed_logins == 5 and learner.locked_until is not None
    with pytest.raises(DomainError):  # locked: even the right one is refused now
        check_current_password(learner, PASSWORD)


def test_a_reset_link_does_not_lift_a_lock_from_wrong_two_step_codes(db, people):
    learner = people["learner"]
    enrol(db, learner)
    learner.failed_logins, learner.locked_until = 5, utcnow().replace(year=2100)
    db.session.commit()
    use_link(_link(db, learner), NEW, NEW, now=utcnow())
    db.session.commit()
    assert learner.failed_logins == 5 and learner.locked_until.year == 2100
    # Without two-step sign-in, the lock came from passwords only: the reset lifts it.
    other = people["other_learner"]
    other.failed_logins, other.locked_until = 5, utcnow().replace(year=2100)
    db.session.commit()
    use_link(_link(db, other), NEW, NEW, now=utcnow())
    db.session.commit()
    assert other.failed_logins == 0 and other.locked_until is None


def test_an_admins_two_step_reset_ends_the_persons_sign_ins(app, db, people):
    learner = people["learner"]
    secret, _ = enrol(db, learner)
    phone = Browser(app.test_client())
    phone.login(learner)
    phone.submit("/login/code", {"code": pyotp.TOTP(secret).now()})
    assert phone.client.get("/portfolios/").status_code in (200, 302)
    assert "Sign out" in phone.client.get("/portfolios/", follow_redirects=True).text
    two_step.reset(learner, actor=people["admin"])
    db.session.commit()
    assert phone.client.get("/portfolios/").headers["Location"].startswith("/login")
    assert db.session.scalar(select(LoginSession.ended_why)) == "two-step reset"


def test_a_code_page_left_open_across_a_reset_goes_back_to_sign_in(app, db, browser, people):
    learner = people["learner"]
    enrol(db, learner)
    assert browser.login(learner).headers["Location"] == "/login/code"
    two_step.reset(learner, actor=people["admin"])
    db.session.commit()
    assert browser.client.get("/login/code").headers["Location"].startswith("/login")


def test_a_new_email_address_ends_the_reset_links_sent_to_the_old_one(db, people):
    learner = people["learner"]
    link = _link(db, learner)
    edit_account(learner, name=learner.name, email="new.address@test.example",
                 role="learner", actor=people["admin"])
    db.session.commit()
    db.session.refresh(link)
    assert link.used_at is not None


def test_an_edited_name_follows_the_same_rules_as_a_new_account(db, people):
    with pytest.raises(DomainError, match="formula"):
        edit_account(people["learner"], name='=HYPERLINK("http://evil")',
                     email=people["learner"].email, role="learner", actor=people["admin"])


def test_opening_a_reset_link_signed_in_as_someone_else_ends_that_sign_in(app, db, browser,
                                                                          people):
    browser.login(people["assessor"])
    token = new_token()
    db.session.add(PasswordReset(token_hash=hash_token(token), user_id=people["learner"].id,
                                 expires_at=utcnow().replace(year=utcnow().year + 1)))
    db.session.commit()
    browser.submit(f"/password/reset/{token}", {"password": NEW, "password2": NEW})
    ended = db.session.scalar(select(LoginSession).where(
        LoginSession.user_id == people["assessor"].id))
    assert ended.ended_at is not None


def test_a_college_sign_in_ends_an_unused_temporary_password(db, client, provider,  # noqa: F811
                                                             people):
    assessor = people["assessor"]
    temporary = set_temporary(assessor, actor=people["admin"], now=utcnow())
    db.session.commit()
    as_person(provider, assessor)
    assert college_sign_in(client).headers["Location"] == "/portfolios/"  # not forced
    db.session.expire_all()
    signed = db.session.get(User, assessor.id)
    assert signed.password_hash == NO_PASSWORD and not signed.must_change_password
    assert "do not match" in Browser(client.application.test_client()).login(
        assessor, temporary).text


@pytest.mark.parametrize("extra_settings", [{"MFA_REQUIRED_FOR_STAFF": True}])
def test_required_two_step_does_not_stop_a_college_sign_in(client, provider,  # noqa: F811
                                                          people, extra_settings):  # noqa: F811
    as_person(provider, people["assessor"])
    college_sign_in(client)
    assert client.get("/portfolios/").status_code == 200  # not sent to set up a code
    password_only = Browser(client.application.test_client())
    password_only.login(people["iqa"])
    assert password_only.client.get("/portfolios/").headers["Location"] == "/account/two-step"
