"""The college account's settings and claims, without a provider: settings that do not fit
together stop the app starting, and only a verified email claim (or one from an issuer the
centre trusts, in its domains) is ever taken as the person's address."""

from __future__ import annotations

import pytest

from portfolio import create_app
from portfolio.auth.oidc_accounts import identity_from_claims


@pytest.mark.parametrize("settings,problem", [
    ({"PASSWORD_SIGNIN_FOR_STAFF": False}, "no member of staff could sign in"),
    ({"OIDC_ISSUER": "https://login.example/t/v2.0"}, "Set both"),
    ({"OIDC_ISSUER": "https://login.example/t/v2.0", "OIDC_CLIENT_ID": "c"}, "PUBLIC_URL"),
    ({"OIDC_ISSUER": "http://login.example/t", "OIDC_CLIENT_ID": "c",
      "PUBLIC_URL": "https://p.example"}, "https://"),
    ({"OIDC_ISSUER": "https://login.example/t", "OIDC_CLIENT_ID": "c",
      "PUBLIC_URL": "https://p.example", "OIDC_SCOPES": "email"}, "openid"),
])
def test_settings_that_do_not_fit_together_stop_the_app_starting(tmp_path, settings,
                                                                 problem):
    with pytest.raises(RuntimeError, match=problem):
        create_app({"TESTING": True, "SECRET_KEY": "t", **settings},
                   instance_path=str(tmp_path))


@pytest.mark.parametrize("claims,trust,domains,email", [
    ({"email": "A@College.example", "email_verified": True}, False, (), "a@college.example"),
    ({"email": "a@college.example", "email_verified": "true"}, False, (), "a@college.example"),
    ({"email": "a@college.example", "email_verified": False}, False, (), None),
    ({"email": "a@college.example"}, False, (), None),
    ({"email": "a@college.example"}, True, (), "a@college.example"),
    ({"email": "a@college.example", "email_verified": False}, True, (), "a@college.example"),
    ({"preferred_username": "a@college.example", "upn": "a@college.example",
      "email_verified": True}, True, (), None),
    ({"email": "a@gmail.example", "email_verified": True}, False, ("college.example",), None),
    ({"email": "not-an-address", "email_verified": True}, False, (), None),
])
def test_only_a_verified_email_claim_counts(claims, trust, domains, email):
    identity = identity_from_claims({"iss": "https://idp.example", "sub": "s", **claims},
                                    trust_email=trust, domains=domains)
    assert identity.email == email
    assert (identity.issuer, identity.subject) == ("https://idp.example", "s")
