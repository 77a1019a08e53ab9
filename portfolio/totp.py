"""Two-step sign-in, the pure part: TOTP codes (RFC 6238), recovery codes, the QR code, and
the key that keeps each person's TOTP secret encrypted at rest. No Flask and no database.

- A code is 6 digits for a 30-second step; one step either side is accepted for a phone
  clock a little out; the step a code matched is returned so the caller can refuse any code
  of that step or an earlier one again (a code seen over a shoulder is already spent).
- Recovery codes are 16 characters (80 random bits) from an alphabet without look-alikes,
  shown once; only a SHA-256 is kept. With 80 bits a plain hash cannot be searched back, so a
  code is found with one indexed lookup, and used with one conditional UPDATE.
- The secret is encrypted with Fernet under a key derived (HKDF-SHA256) from SECRET_KEY;
  the keys of SECRET_KEY_FALLBACKS still decrypt, so a key rotation keeps enrolments.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from datetime import datetime

import pyotp
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

DIGITS = 6
STEP_SECONDS = 30
DRIFT_STEPS = 1  # steps accepted either side of now
RECOVERY_CODES = 10
# Crockford's base32 without I, L, O and U: nothing to misread between 1/l/I or 0/O.
_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
_RECOVERY_LENGTH = 16  # 16 x 5 bits = 80 bits
_KEY_INFO = b"evidence-portfolio totp secret v1"


def new_secret() -> str:
    """A fresh TOTP secret: 32 base32 characters, 160 bits (RFC 4226's recommendation)."""
    return pyotp.random_base32()


def grouped(secret: str) -> str:
    """The secret in groups of four, for someone typing it into their app by hand."""
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def provisioning_uri(secret: str, *, account: str, issuer: str) -> str:
    """The otpauth:// address a phone's authenticator app reads from the QR code."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).provisioning_uri(
        name=account, issuer_name=issuer)


def normalise_code(typed: str) -> str:
    """What was typed, without spaces and hyphens, lower case ("123 456" is "123456")."""
    return re.sub(r"[\s-]+", "", typed or "").lower()


def looks_like_totp(typed: str) -> bool:
    return bool(re.fullmatch(rf"\d{{{DIGITS}}}", normalise_code(typed)))


def matching_step(secret: str, typed: str, now: datetime) -> int | None:
    """The step whose code was typed (now, or one step either side), or None. Every candidate
    is compared in constant time."""
    code = normalise_code(typed)
    if not looks_like_totp(code):
        return None
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS)
    now_step = totp.timecode(now)
    found = None
    for step in range(now_step - DRIFT_STEPS, now_step + DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(step), code) and found is None:
            found = step
    return found


def code_at(secret: str, when: datetime) -> str:
    """The code an authenticator app shows at `when` (for tests and the demo's trial)."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).at(when)


def qr_svg(uri: str) -> str:
    """The QR code of `uri` as an inline SVG, made here (segno, pure Python): no image is
    fetched from anywhere, and the secret never leaves the page. Dark on white with the
    standard quiet zone; the page gives it its size and its accessible name."""
    import segno

    return segno.make(uri, error="m").svg_inline(scale=1, border=4, dark="#000",
                                                  light="#fff", omitsize=True,
                                                  svgclass="qr-code")


def new_recovery_codes(count: int = RECOVERY_CODES) -> list[str]:
    """Fresh recovery codes, as shown: "abcd-efgh-jkmn-pqrs"."""
    out = []
    for _ in range(count):
        raw = "".join(secrets.choice(_ALPHABET) for _ in range(_RECOVERY_LENGTH))
        out.append("-".join(raw[i:i + 4] for i in range(0, _RECOVERY_LENGTH, 4)))
    return out


def hash_recovery_code(typed: str) -> str:
    """What is stored for a recovery code, and looked up when one is typed: spaces, hyphens
    and case do not matter, and the look-alikes i, l (one) and o (zero) are read as meant."""
    code = normalise_code(typed).translate(str.maketrans("ilo", "110"))
    return hashlib.sha256(b"recovery:" + code.encode()).hexdigest()


def _fernet(key: str) -> Fernet:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                   info=_KEY_INFO).derive(key.encode())
    return Fernet(base64.urlsafe_b64encode(derived))


class SecretBox:
    """Encrypts secrets under the current SECRET_KEY; decrypts under it or a fallback."""

    def __init__(self, key: str, fallbacks: list[str] | tuple[str, ...] = ()):
        self._current = _fernet(key)
        self._all = MultiFernet([self._current, *(_fernet(k) for k in fallbacks)])

    def seal(self, secret: str) -> str:
        return self._current.encrypt(secret.encode()).decode()

    def open(self, sealed: str) -> tuple[str | None, bool]:
        """(the secret, whether it was sealed under the current key); (None, False) when no
        key opens it (SECRET_KEY changed without the old one among the fallbacks)."""
        try:
            return self._current.decrypt(sealed.encode()).decode(), True
        except InvalidToken:
            pass
        try:
            return self._all.decrypt(sealed.encode()).decode(), False
        except InvalidToken:
            return None, False
