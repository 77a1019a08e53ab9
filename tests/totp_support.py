"""What the two-step sign-in tests share: reading the set-up page, making codes, setting it
up through the pages or the services, the password step."""

from __future__ import annotations

import re
from datetime import timedelta

import pyotp
from sqlalchemy import select

from portfolio import totp
from portfolio.auth import two_step
from portfolio.models import AuditEvent, utcnow


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
