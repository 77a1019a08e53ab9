"""One-time link tokens: random, URL-safe, and stored only as a stable sha256."""

import re

from portfolio.tokens import hash_token, new_token


def test_new_tokens_are_url_safe_and_never_repeat():
    tokens = {new_token() for _ in range(50)}
    assert len(tokens) == 50
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{43}", t) for t in tokens)  # 32 bytes, base64url


def test_hash_is_stable_64_hex_and_not_the_token():
    token = new_token()
    digest = hash_token(token)
    assert re.fullmatch(r"[0-9a-f]{64}", digest)
    assert hash_token(token) == digest and digest != token
    assert hash_token(new_token()) != digest
    assert hash_token("abc") == (
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")  # sha256("abc")
