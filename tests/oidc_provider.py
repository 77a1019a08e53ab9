"""A real OpenID Connect provider for the tests, on 127.0.0.1 at a free port.

Built with Authlib's server side (AuthorizationServer, AuthorizationCodeGrant with OpenIDCode
and PKCE) and an RSA key made with `cryptography`; it serves a discovery document, its JWKS,
an authorization endpoint that approves the configured `identity` at once (no login page:
the person at the provider is whoever the test says), and a token endpoint that returns a
signed ID token. The app under test finds all of it over HTTP from the discovery document,
as it would find Entra ID or Google.

What a test may change for the next sign-in (reset() puts them back):
- `identity`: the claims of the person signing in (sub, email, email_verified, name);
- `wrong_nonce`: the ID token carries another nonce than the one the app sent;
- `forge`: the ID token is signed with a key the provider does not publish, same key id;
- `expired`: the ID token expired an hour ago;
- `deny`: the authorization endpoint answers error=access_denied instead of a code.
`requests_seen` keeps every authorization request's parameters (to check PKCE and nonce).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import grants
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import UserInfo
from authlib.oidc.core.grants import OpenIDCode
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask, jsonify, request
from joserfc.jwk import KeySet, RSAKey
from werkzeug.serving import make_server

CLIENT_ID = "portfolio-test-client"
CLIENT_SECRET = "test-client-secret-not-for-real-use"
KEY_ID = "test-key-1"


def rsa_key(kid: str = KEY_ID) -> RSAKey:
    """A fresh 2048-bit RSA signing key from `cryptography`, as a JWK for joserfc."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return RSAKey.import_key(pem, parameters={"kid": kid, "use": "sig", "alg": "RS256"})


@dataclass
class Client:
    """The one registered client: the portfolio app, confidential, code flow only."""

    redirect_uris: list[str]
    client_id: str = CLIENT_ID
    client_secret: str = CLIENT_SECRET

    def get_client_id(self):
        return self.client_id

    def get_default_redirect_uri(self):
        return self.redirect_uris[0]

    def get_allowed_scope(self, scope):
        allowed = {"openid", "email", "profile"}
        return " ".join(s for s in (scope or "").split() if s in allowed)

    def check_redirect_uri(self, redirect_uri):
        return redirect_uri in self.redirect_uris

    def check_client_secret(self, client_secret):
        return client_secret == self.client_secret

    def check_endpoint_auth_method(self, method, endpoint):
        return method == "client_secret_basic" if endpoint == "token" else True

    def check_response_type(self, response_type):
        return response_type == "code"

    def check_grant_type(self, grant_type):
        return grant_type == "authorization_code"


@dataclass
class Code:
    """An authorization code as issued, with what the token endpoint needs to check."""

    code: str
    client_id: str
    redirect_uri: str
    scope: str
    user: dict
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    auth_time: int = field(default_factory=lambda: int(time.time()))

    def get_redirect_uri(self):
        return self.redirect_uri

    def get_scope(self):
        return self.scope

    def get_nonce(self):
        return self.nonce

    def get_auth_time(self):
        return self.auth_time

    def get_acr(self):
        return None

    def get_amr(self):
        return None


class Provider:
    """The provider and its knobs; start() serves it, stop() ends it."""

    def __init__(self):
        self.key = rsa_key()
        self.codes: dict[str, Code] = {}
        self.requests_seen: list[dict] = []
        self.client = Client(redirect_uris=[])
        self.app = self._build()
        self.server = None
        self.issuer = ""
        self.reset()

    def reset(self) -> None:
        self.identity = {"sub": "subject-0001", "email": "someone@college.example",
                         "email_verified": True, "name": "Some One"}
        self.wrong_nonce = self.forge = self.expired = self.deny = False
        self.requests_seen.clear()

    def start(self) -> Provider:
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.issuer = f"http://127.0.0.1:{self.server.server_port}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self._thread.join(timeout=5)
        self.server.server_close()

    @property
    def metadata_url(self) -> str:
        return self.issuer + "/.well-known/openid-configuration"

    # The server, Authlib's own pieces with this object's storage and knobs.
    def _build(self) -> Flask:
        provider = self
        app = Flask("oidc_test_provider")
        app.config["OAUTH2_TOKEN_EXPIRES_IN"] = {"authorization_code": 600}

        class CodeGrant(grants.AuthorizationCodeGrant):
            TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic"]

            def save_authorization_code(self, code, req):
                data = req.payload.data
                provider.codes[code] = Code(
                    code=code, client_id=req.client.get_client_id(),
                    redirect_uri=req.payload.redirect_uri, scope=req.scope, user=req.user,
                    nonce=data.get("nonce"), code_challenge=data.get("code_challenge"),
                    code_challenge_method=data.get("code_challenge_method"))

            def query_authorization_code(self, code, client):
                item = provider.codes.get(code)
                if item and item.client_id == client.get_client_id():
                    return item
                return None

            def delete_authorization_code(self, authorization_code):
                provider.codes.pop(authorization_code.code, None)

            def authenticate_user(self, authorization_code):
                return authorization_code.user

        class IdToken(OpenIDCode):
            def exists_nonce(self, nonce, req):
                return any(c.nonce == nonce for c in provider.codes.values())

            def get_encode_header(self, client):
                # As Entra ID and Google do: the key id, so a client can tell a new key.
                return {"alg": "RS256", "kid": provider.key.kid}

            def resolve_client_private_key(self, client):
                # A forger holds a key of their own and names the published key's id.
                return rsa_key(provider.key.kid) if provider.forge else provider.key

            def get_client_claims(self, client):
                claims = {"iss": provider.issuer, "aud": [client.get_client_id()]}
                if provider.expired:
                    now = int(time.time())
                    claims |= {"iat": now - 7200, "exp": now - 3600, "auth_time": now - 7200}
                return claims

            def get_authorization_code_claims(self, authorization_code):
                claims = super().get_authorization_code_claims(authorization_code)
                if provider.wrong_nonce:
                    claims["nonce"] = "a-nonce-the-app-never-sent"
                return claims

            def generate_user_info(self, user, scope):
                return UserInfo(user).filter(scope)

        server = AuthorizationServer(app, query_client=lambda cid: (
            self.client if cid == self.client.client_id else None),
            save_token=lambda token, req: None)
        server.register_grant(CodeGrant, [IdToken(require_nonce=True),
                                          CodeChallenge(required=True)])

        @app.get("/.well-known/openid-configuration")
        def discovery():
            return jsonify(
                issuer=self.issuer, authorization_endpoint=self.issuer + "/authorize",
                token_endpoint=self.issuer + "/token", jwks_uri=self.issuer + "/jwks",
                response_types_supported=["code"], subject_types_supported=["public"],
                id_token_signing_alg_values_supported=["RS256"],
                scopes_supported=["openid", "email", "profile"],
                token_endpoint_auth_methods_supported=["client_secret_basic"],
                code_challenge_methods_supported=["S256"],
                claims_supported=["sub", "email", "email_verified", "name"])

        @app.get("/jwks")
        def jwks():
            return jsonify(KeySet([self.key]).as_dict(private=False))

        @app.get("/authorize")
        def authorize():
            self.requests_seen.append(request.args.to_dict())
            grant = server.get_consent_grant(end_user=dict(self.identity))
            return server.create_authorization_response(
                grant_user=None if self.deny else dict(self.identity), grant=grant)

        @app.post("/token")
        def token():
            return server.create_token_response()

        return app
