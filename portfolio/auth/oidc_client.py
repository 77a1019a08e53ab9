"""The college's identity provider (OpenID Connect), through Authlib's Flask client.

Off unless OIDC_ISSUER and OIDC_CLIENT_ID are set. The provider is found from its discovery
document (OIDC_METADATA_URL, by default under the issuer), fetched once per process; its
signing keys (JWKS) likewise, and again when a token names a key id not seen before (the
provider rotated its keys).

What Authlib checks and this module relies on (tests/test_oidc.py shows each one refused):
- `state`: kept in this browser's session when the sign-in starts; a callback without it, or
  with another, is refused, and it is used once;
- PKCE (S256): the code verifier stays in the session, so a code taken on the way is useless;
- `nonce`: sent with the request, and the ID token must carry it back;
- the ID token's signature against the provider's published keys, with one of the algorithms
  its discovery document names, and (here) its issuer, audience and expiry.
Every failure becomes a `Refused` with words for the sign-in page; none is a 500.
"""

from __future__ import annotations

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.base_client import MismatchingStateError
from authlib.integrations.flask_client import OAuth
from flask import current_app, request
from joserfc.errors import JoseError

from ..errors import DomainError

NAME = "oidc"  # Authlib's name for the client; also the prefix of its settings
TIMEOUT_SECONDS = 10  # for each call to the provider: a slow one must not hold a worker
LEEWAY_SECONDS = 60  # clock difference allowed between the provider and this server

TRY_AGAIN = ("Signing in with the college account could not be completed: it may have been "
             "started in another tab or window, taken too long, or been used already. "
             "Start again with the button below.")
NOT_VERIFIED = ("The answer from the college's sign-in service could not be verified, so you "
                "have not been signed in. Start again with the button below; if it happens "
                "again, tell the centre's administrator.")
UNREACHABLE = ("The college's sign-in service could not be reached, so you have not been "
               "signed in. Try again in a few minutes; if it goes on, tell the centre's "
               "administrator.")
DENIED = ("Signing in with the college account was cancelled or refused by the college's "
          "sign-in service, so you have not been signed in. If you did not cancel it, ask "
          "the centre's administrator.")


class Refused(DomainError):
    """The sign-in with the college account was refused; the message is for the person."""

    def __init__(self, message: str, status_code: int = 403):
        super().__init__(message)
        self.status_code = status_code


def enabled(config) -> bool:
    return bool(config.get("OIDC_ISSUER") and config.get("OIDC_CLIENT_ID"))


def metadata_url(config) -> str:
    return (config.get("OIDC_METADATA_URL")
            or config["OIDC_ISSUER"] + "/.well-known/openid-configuration")


def init_app(app) -> None:
    """Register the client on this app (each app its own: the tests build many)."""
    if not enabled(app.config):
        return
    oauth = OAuth(app)
    oauth.register(
        NAME, client_id=app.config["OIDC_CLIENT_ID"],
        client_secret=app.config["OIDC_CLIENT_SECRET"] or None,
        server_metadata_url=metadata_url(app.config),
        client_kwargs={"scope": app.config["OIDC_SCOPES"], "code_challenge_method": "S256",
                       "default_timeout": TIMEOUT_SECONDS})
    app.extensions["oidc"] = oauth


def _client():
    return current_app.extensions["oidc"].create_client(NAME)


def _metadata(client) -> dict:
    """The discovery document, refused unless it is for the configured issuer (the standard
    requires them to be equal; a document for another issuer is a mistake or a trap)."""
    metadata = client.load_server_metadata()
    if metadata.get("issuer") != current_app.config["OIDC_ISSUER"]:
        current_app.logger.error("OIDC: the discovery document at %s names issuer %r, not "
                                 "OIDC_ISSUER %r", metadata_url(current_app.config),
                                 metadata.get("issuer"), current_app.config["OIDC_ISSUER"])
        client.server_metadata.pop("_loaded_at", None)  # read it again next time
        raise Refused(UNREACHABLE, 503)
    return metadata


def start(redirect_uri: str):
    """The redirect to the provider's sign-in page, with state, nonce and PKCE kept in the
    session."""
    client = _client()
    try:
        _metadata(client)
        return client.authorize_redirect(redirect_uri)
    except (requests.RequestException, ValueError) as exc:
        current_app.logger.warning("OIDC: discovery failed: %s", exc)
        raise Refused(UNREACHABLE, 503) from None


def finish() -> dict:
    """The verified claims of the ID token the provider's answer leads to (the code is
    exchanged for tokens here, server to server), or Refused."""
    error = request.args.get("error")
    if error:
        current_app.logger.info("OIDC: the provider answered %s: %s", error,
                                request.args.get("error_description", ""))
        raise Refused(DENIED, 403 if error in ("access_denied", "consent_required",
                                               "login_required") else 400)
    client = _client()
    config = current_app.config
    expected = {"iss": {"essential": True, "value": config["OIDC_ISSUER"]},
                "aud": {"essential": True, "value": config["OIDC_CLIENT_ID"]},
                "sub": {"essential": True}}
    try:
        _metadata(client)
        token = client.authorize_access_token(claims_options=expected, leeway=LEEWAY_SECONDS)
    except MismatchingStateError:
        raise Refused(TRY_AGAIN, 400) from None
    except requests.RequestException as exc:
        current_app.logger.warning("OIDC: the provider could not be reached: %s", exc)
        raise Refused(UNREACHABLE, 503) from None
    except (AuthlibBaseError, JoseError, ValueError, KeyError, TypeError) as exc:
        # A refused code, a bad signature, a wrong nonce, an expired or foreign token.
        current_app.logger.warning("OIDC: the answer was refused: %r", exc)
        raise Refused(NOT_VERIFIED, 400) from None
    claims = token.get("userinfo")
    if not claims:  # no ID token at all: nothing says who this is
        current_app.logger.warning("OIDC: the token response had no ID token")
        raise Refused(NOT_VERIFIED, 400)
    return dict(claims)
