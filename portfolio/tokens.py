"""One-time link tokens (witness testimony, EQA invitation).

A token is 32 random bytes (256 bits) from `secrets`, URL-safe; only its sha256 is stored, so
the database alone cannot be used to follow a link. No Flask and no database.
"""

from __future__ import annotations

import hashlib
import secrets


def new_token() -> str:
    """A fresh token for a link, shown or emailed once."""
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """What is stored for a token and looked up when the link is followed: 64 hex digits."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def address_fingerprint(address: str | None, key: str | bytes) -> str:
    """A keyed fingerprint (HMAC-SHA256) of an internet address: two can be compared (was the
    testimony sent from where the learner signs in?), neither can be read back."""
    import hmac

    if not address:
        return ""
    secret = key.encode() if isinstance(key, str) else key
    return hmac.new(secret, b"ip:" + address.encode(), hashlib.sha256).hexdigest()
