"""The sign-in page with the college account's button, in chromium, against the tests' own
OpenID provider: the page, a staff password refused, an unknown college account refused, each
checked by the accessibility gate's own checks (axe-core WCAG 2.2 AA at 1280 and 320 pixels,
reflow, focus indicators, control borders); then a member of staff signs in by the button,
through the provider and back, as a person would."""

from __future__ import annotations

import socket

import pytest
from browser_support import ARGS, BROWSER_MARKS, demo_server, require_chromium, sign_in
from oidc_provider import CLIENT_ID, CLIENT_SECRET, Provider
from test_accessibility import AXE, Report, check_page

pytestmark = BROWSER_MARKS

LABEL = "Sign in with your college Microsoft account"


@pytest.fixture
def provider():
    running = Provider().start()
    yield running
    running.stop()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_college_account_sign_in_meets_wcag_22_aa_and_works(tmp_path, provider):
    from playwright.sync_api import sync_playwright

    chromium = require_chromium()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    provider.client.redirect_uris = [base + "/login/oidc/callback"]
    settings = {"PUBLIC_URL": base, "OIDC_ISSUER": provider.issuer, "OIDC_CLIENT_ID": CLIENT_ID,
                "OIDC_CLIENT_SECRET": CLIENT_SECRET, "OIDC_BUTTON_LABEL": LABEL,
                "PASSWORD_SIGNIN_FOR_STAFF": False}
    report = Report()
    with demo_server(tmp_path, port=port, **settings), sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 800}, bypass_csp=True)
        context.set_default_timeout(15_000)
        context.add_init_script(path=str(AXE))
        page = context.new_page()

        page.goto(f"{base}/login")
        assert page.get_by_role("link", name=LABEL).is_visible()
        assert page.get_by_text("Assessors, IQAs and administrators sign in only with the "
                                "college account").is_visible()
        check_page(page, "anonymous", report, label=f"{base}/login (college account)")

        sign_in(page, base, "assessor@demo.test")  # the right password, but staff
        assert page.get_by_role("alert").filter(has_text="not a password").is_visible()
        check_page(page, "anonymous", report, label=f"{base}/login (staff password)")

        provider.identity = {"sub": "s-nobody", "email": "nobody@demo.test",
                             "email_verified": True}
        page.get_by_role("link", name=LABEL).click()
        assert page.get_by_role("alert").filter(
            has_text="There is no portfolio account for nobody@demo.test").is_visible()
        check_page(page, "anonymous", report, label=f"{base}/login/oidc/callback (unknown)")

        provider.identity = {"sub": "s-dawn", "email": "assessor@demo.test",
                             "email_verified": True}
        page.get_by_role("link", name=LABEL).click()
        page.wait_for_url(f"{base}/portfolios/")
        assert page.get_by_role("button", name="Sign out").is_visible()
        browser.close()
    assert not report.problems, "\n".join(report.problems)
    assert report.checked["anonymous"] == {1280: 3, 320: 3}
