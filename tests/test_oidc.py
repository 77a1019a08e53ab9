"""Signing in with the college account, end to end against a real OpenID provider.

tests/oidc_provider.py runs Authlib's own authorization server on 127.0.0.1; the app finds it
from its discovery document and checks its ID tokens against its JWKS, over HTTP, as it would
Entra ID or Google. Each sign-in is driven as a browser would go: the app's /login/oidc sends
the browser to the provider (requests follows that leg), the provider sends it back to the
callback with a code, and the app exchanges the code server to server.
"""

from __future__ import annotations

import json
import socket
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import pytest
import requests
from oidc_provider import CLIENT_ID, CLIENT_SECRET, Provider, rsa_key
from sqlalchemy import func, select

from portfolio import create_app
from portfolio.auth.oidc_client import DENIED, NOT_VERIFIED, TRY_AGAIN, UNREACHABLE
from portfolio.auth.views import STAFF_USE_COLLEGE_ACCOUNT
from portfolio.models import AuditEvent, LoginSession, User

APP_URL = "http://localhost"  # the test client's own address, and so PUBLIC_URL
CALLBACK = APP_URL + "/login/oidc/callback"
LABEL = "Sign in with your college Microsoft account"


@pytest.fixture(scope="module")
def provider():
    running = Provider().start()
    running.client.redirect_uris = [CALLBACK]
    yield running
    running.stop()


@pytest.fixture(autouse=True)
def _same_key_each_test(provider):
    key = provider.key
    yield
    provider.key = key


@pytest.fixture
def extra_settings() -> dict:
    """Settings a test adds to (or takes from) the college-account ones below."""
    return {}


@pytest.fixture
def app_settings(provider, extra_settings) -> dict:
    provider.reset()
    return {"OIDC_ISSUER": provider.issuer, "OIDC_CLIENT_ID": CLIENT_ID,
            "OIDC_CLIENT_SECRET": CLIENT_SECRET, "OIDC_BUTTON_LABEL": LABEL,
            "PUBLIC_URL": APP_URL, **extra_settings}


def college_sign_in(client, *, next_url: str | None = None, state: str | None = None):
    """Press the button, let the provider answer, come back; the app's last answer. `state`
    replaces the state the provider sends back (an attacker's callback)."""
    start = client.get("/login/oidc" + (f"?{urlencode({'next': next_url})}" if next_url else ""))
    assert start.status_code == 302, start.text
    at_provider = requests.get(start.headers["Location"], allow_redirects=False, timeout=10)
    assert at_provider.status_code == 302, at_provider.text
    back = at_provider.headers["Location"]
    assert back.startswith(CALLBACK + "?")
    if state is not None:
        parts = urlsplit(back)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()} | {"state": state}
        back = urlunsplit(parts._replace(query=urlencode(query)))
    return client.get(back)


def as_person(provider, user_or_email, *, sub="subject-0001", verified=True, **claims):
    email = getattr(user_or_email, "email", user_or_email)
    provider.identity = {"sub": sub, "email": email, "email_verified": verified,
                         "name": "Someone", **claims}


def signed_in(client) -> bool:
    response = client.get("/portfolios/")
    return not (response.status_code == 302 and "/login" in response.headers["Location"])


def events(db, action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_a_verified_email_of_an_account_signs_in_and_links_it(db, client, provider, people):
    assessor = people["assessor"]
    as_person(provider, assessor.email.upper())  # the provider's case is not ours
    response = college_sign_in(client)
    assert response.status_code == 302 and response.headers["Location"] == "/portfolios/"
    assert signed_in(client)
    db.session.refresh(assessor)
    assert (assessor.oidc_issuer, assessor.oidc_subject) == (provider.issuer, "subject-0001")
    login = events(db, "auth.login")
    assert [json.loads(e.detail_json)["method"] for e in login] == ["oidc"]
    assert login[0].actor_id == assessor.id
    assert [e.actor_id for e in events(db, "user.sso_linked")] == [assessor.id]
    assert db.session.scalar(select(func.count()).select_from(LoginSession)) == 1
    # What the app asked for: the code flow, PKCE with S256, a nonce and a state.
    asked = provider.requests_seen[-1]
    assert asked["response_type"] == "code" and asked["code_challenge_method"] == "S256"
    assert len(asked["code_challenge"]) >= 43 and asked["nonce"] and asked["state"]
    assert asked["redirect_uri"] == CALLBACK and "openid" in asked["scope"].split()


def test_the_button_is_on_the_sign_in_page_and_next_is_kept(client, provider, people,
                                                           portfolios):
    page = client.get("/login?next=/portfolios/1")
    assert LABEL in page.text
    assert 'href="/login/oidc?next=/portfolios/1"' in page.text
    as_person(provider, people["learner"])
    assert college_sign_in(client, next_url="/portfolios/1").headers["Location"] == \
        "/portfolios/1"


def test_next_to_another_site_is_not_followed(client, provider, people):
    as_person(provider, people["assessor"])
    response = college_sign_in(client, next_url="https://evil.example/")
    assert response.headers["Location"] == "/portfolios/"


def test_an_unverified_email_is_refused(db, client, provider, people):
    as_person(provider, people["assessor"], verified=False)
    response = college_sign_in(client)
    assert response.status_code == 403
    assert "did not confirm that its email address" in response.text
    assert "ask the centre&#39;s administrator" in response.text
    assert not signed_in(client)
    db.session.refresh(people["assessor"])
    assert people["assessor"].oidc_subject is None


def test_an_unknown_email_is_refused_and_nothing_is_created(db, client, provider, people):
    users = db.session.scalar(select(func.count()).select_from(User))
    as_person(provider, "stranger@college.example")
    response = college_sign_in(client)
    assert response.status_code == 403
    assert "There is no portfolio account for stranger@college.example" in response.text
    assert "never creates one" in response.text
    assert db.session.scalar(select(func.count()).select_from(User)) == users
    assert not events(db, "auth.login") and not events(db, "user.sso_linked")
    assert not signed_in(client)


def test_preferred_username_and_upn_are_never_taken_as_the_email(client, provider, people):
    provider.identity = {"sub": "s-9", "preferred_username": people["admin"].email,
                         "upn": people["admin"].email, "email_verified": True}
    response = college_sign_in(client)
    assert response.status_code == 403 and "did not give an email address" in response.text
    assert not signed_in(client)


def test_an_inactive_account_is_refused_and_not_linked(db, client, provider, people):
    people["iqa"].active = False
    db.session.commit()
    as_person(provider, people["iqa"])
    response = college_sign_in(client)
    assert response.status_code == 403 and "has been closed" in response.text
    assert not signed_in(client)
    db.session.refresh(people["iqa"])
    assert people["iqa"].oidc_subject is None


def test_an_inactive_linked_account_is_refused(db, client, provider, people):
    as_person(provider, people["iqa"])
    assert college_sign_in(client).status_code == 302
    client.post("/logout", data={"csrf_token": _token(client)})
    people["iqa"].active = False
    db.session.commit()
    response = college_sign_in(client)
    assert response.status_code == 403 and "has been closed" in response.text


def test_a_tampered_nonce_is_refused(db, client, provider, people, caplog):
    as_person(provider, people["assessor"])
    provider.wrong_nonce = True
    response = college_sign_in(client)
    assert response.status_code == 400 and "Invalid claim: 'nonce'" in caplog.text
    assert NOT_VERIFIED.replace("'", "&#39;") in response.text
    assert not signed_in(client) and not events(db, "auth.login")


def test_a_forged_signature_is_refused(client, provider, people, caplog):
    as_person(provider, people["assessor"])
    provider.forge = True
    response = college_sign_in(client)
    assert response.status_code == 400 and "could not be verified" in response.text
    assert "bad_signature" in caplog.text
    assert not signed_in(client)


def test_a_new_signing_key_at_the_provider_is_fetched(client, provider, people):
    """The JWKS is cached, and read again when a token names a key id not seen before."""
    as_person(provider, people["assessor"])
    assert college_sign_in(client).status_code == 302
    client.post("/logout", data={"csrf_token": _token(client)})
    provider.key = rsa_key("test-key-2")  # rotated: the old key is no longer published
    assert college_sign_in(client).status_code == 302


def test_an_expired_id_token_is_refused(client, provider, people, caplog):
    as_person(provider, people["assessor"])
    provider.expired = True
    response = college_sign_in(client)
    assert response.status_code == 400 and "could not be verified" in response.text
    assert "The token is expired" in caplog.text
    assert not signed_in(client)


def test_a_wrong_state_is_refused(db, client, provider, people):
    as_person(provider, people["assessor"])
    response = college_sign_in(client, state="an-attackers-state")
    assert response.status_code == 400
    assert TRY_AGAIN in response.text
    assert not signed_in(client) and not events(db, "auth.login")


def test_a_callback_started_in_another_browser_is_refused(app, client, provider, people):
    """Login CSRF: an attacker's own code and state, sent to a victim's browser, do not sign
    the victim in as the attacker (the state lives in the attacker's session)."""
    as_person(provider, people["assessor"])
    attacker = app.test_client()
    start = attacker.get("/login/oidc")
    back = requests.get(start.headers["Location"], allow_redirects=False,
                        timeout=10).headers["Location"]
    response = client.get(back)
    assert response.status_code == 400 and TRY_AGAIN in response.text
    assert not signed_in(client)


def test_a_callback_is_used_once(client, provider, people):
    as_person(provider, people["assessor"])
    start = client.get("/login/oidc")
    back = requests.get(start.headers["Location"], allow_redirects=False,
                        timeout=10).headers["Location"]
    assert client.get(back).status_code == 302
    client.post("/logout", data={"csrf_token": _token(client)})
    again = client.get(back)
    assert again.status_code == 400 and not signed_in(client)


def test_the_provider_refusing_is_a_clear_message(client, provider, people):
    as_person(provider, people["assessor"])
    provider.deny = True
    response = college_sign_in(client)
    assert response.status_code == 403
    assert DENIED.replace("'", "&#39;") in response.text
    other = client.get("/login/oidc/callback?error=server_error&state=x")
    assert other.status_code == 400 and "cancelled or refused" in other.text


def test_after_the_email_changes_at_the_provider_the_subject_still_decides(db, client,
                                                                           provider, people):
    """Matched by (issuer, subject) first: the account linked at the first sign-in stays
    this person's, even when the provider now gives them someone else's address."""
    learner, other = people["learner"], people["other_learner"]
    as_person(provider, learner, sub="subject-priya")
    assert college_sign_in(client).status_code == 302
    client.post("/logout", data={"csrf_token": _token(client)})
    as_person(provider, other, sub="subject-priya")  # the same person, another address
    assert college_sign_in(client).status_code == 302
    with client.session_transaction() as s:
        assert s["_user_id"] == str(learner.id)
    db.session.refresh(other)
    assert other.oidc_subject is None
    # And someone new at the provider given the learner's old address is not let in.
    client.post("/logout", data={"csrf_token": _token(client)})
    as_person(provider, learner, sub="subject-someone-new")
    response = college_sign_in(client)
    assert response.status_code == 403 and "already linked to a different" in response.text


def test_unlinking_lets_a_replaced_college_account_match_again(app, db, client, provider,
                                                               people):
    as_person(provider, people["assessor"], sub="old-subject")
    assert college_sign_in(client).status_code == 302
    client.post("/logout", data={"csrf_token": _token(client)})
    db.session.expire_all()  # the command runs in this test's app context and session
    result = app.test_cli_runner().invoke(
        args=["users", "unlink-college-account", "--email", people["assessor"].email])
    assert result.exit_code == 0, result.output
    assert [e.summary for e in events(db, "user.sso_unlinked")] == [
        f"College account unlinked from {people['assessor'].email}"]
    as_person(provider, people["assessor"], sub="new-subject")
    assert college_sign_in(client).status_code == 302
    db.session.refresh(people["assessor"])
    assert people["assessor"].oidc_subject == "new-subject"


@pytest.mark.parametrize("extra_settings", [{"OIDC_EMAIL_DOMAINS": ["college.example"]}])
def test_only_the_colleges_domains_are_matched(db, client, provider, make_user):
    outside = make_user("assessor", email="dawn@elsewhere.example")
    inside = make_user("assessor", email="dawn@college.example")
    as_person(provider, outside)
    response = college_sign_in(client)
    assert response.status_code == 403 and "is not at college.example" in response.text
    as_person(provider, inside, sub="s-2")
    assert college_sign_in(client).status_code == 302


@pytest.mark.parametrize("extra_settings", [{"OIDC_TRUST_EMAIL": True}])
def test_trusting_the_issuers_emails_matches_without_email_verified(client, provider, people):
    provider.identity = {"sub": "entra-1", "email": people["assessor"].email}
    assert college_sign_in(client).status_code == 302


@pytest.mark.parametrize("extra_settings", [{"PASSWORD_SIGNIN_FOR_STAFF": False}])
def test_with_password_sign_in_off_for_staff_only_learners_and_eqas_use_passwords(
        client, browser, provider, people, eqa_grant):
    page = client.get("/login")
    assert "Assessors, IQAs and administrators sign in only with the college account" in \
        page.text
    for role in ("assessor", "iqa", "admin"):
        refused = browser.login(people[role])
        assert refused.status_code == 403, role
        assert STAFF_USE_COLLEGE_ACCOUNT.format(label=LABEL) in refused.text
        assert not signed_in(client)
    wrong = browser.login(people["assessor"], password="not the password at all")
    assert wrong.status_code == 200 and "do not match an account" in wrong.text  # no hint
    assert browser.login(people["learner"]).status_code == 302
    client.post("/logout", data={"csrf_token": _token(client)})
    assert browser.login(eqa_grant.eqa).status_code == 302
    client.post("/logout", data={"csrf_token": _token(client)})
    as_person(provider, people["assessor"])
    assert college_sign_in(client).status_code == 302  # staff come in this way


def test_a_provider_that_cannot_be_reached_is_a_clear_503(tmp_path):
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app = create_app({"TESTING": True, "SECRET_KEY": "t", "PUBLIC_URL": APP_URL,
                      "OIDC_ISSUER": f"http://127.0.0.1:{port}", "OIDC_CLIENT_ID": CLIENT_ID},
                     instance_path=str(tmp_path))
    response = app.test_client().get("/login/oidc")
    assert response.status_code == 503 and UNREACHABLE in response.text.replace("&#39;", "'")


def test_a_discovery_document_for_another_issuer_is_refused(app, client, provider):
    app.config["OIDC_ISSUER"] = provider.issuer + "/someone-else"
    response = client.get("/login/oidc")
    assert response.status_code == 503


@pytest.mark.parametrize("extra_settings", [{"OIDC_ISSUER": "", "OIDC_CLIENT_ID": ""}])
def test_off_when_unset(client):
    assert client.get("/login/oidc").status_code == 404
    assert client.get("/login/oidc/callback?code=x&state=y").status_code == 404
    assert "college" not in client.get("/login").text


def test_a_password_sign_in_is_audited_as_one(db, browser, people):
    assert browser.login(people["learner"]).status_code == 302
    assert [json.loads(e.detail_json)["method"] for e in events(db, "auth.login")] == [
        "password"]


def _token(client) -> str:
    import re

    page = client.get("/portfolios/", follow_redirects=True)
    return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page.text)[1]
