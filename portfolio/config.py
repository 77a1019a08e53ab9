"""Settings, read from the environment when the app is built (never at import time).

Every setting can be given as an environment variable of the same name; see README.md.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit

from .sampling import DEFAULT_TARGETS

MB = 1024 * 1024


def _bool(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise RuntimeError(f"Setting {name} must be a whole number, not {raw!r}") from None


def sampling_targets(raw: str | None) -> dict[str, int]:
    """SAMPLING_TARGETS, e.g. "new=100,under_development=50,experienced=20" (percentages)."""
    targets = dict(DEFAULT_TARGETS)
    for part in (raw or "").split(","):
        if not part.strip():
            continue
        rating, _, value = part.partition("=")
        rating, value = rating.strip(), value.strip()
        if rating not in DEFAULT_TARGETS or not value.isdigit() or int(value) > 100:
            raise RuntimeError(
                f"SAMPLING_TARGETS: {part.strip()!r} should be rating=percent (0 to 100), "
                f"with rating one of {', '.join(DEFAULT_TARGETS)}")
        targets[rating] = int(value)
    return targets


def secret_key(instance_path: Path) -> str:
    """SECRET_KEY from the environment, else one generated once into the instance folder."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    path = instance_path / "secret_key"
    if not path.exists():
        instance_path.mkdir(parents=True, exist_ok=True)
        # O_EXCL: two workers starting together cannot both write a different key.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_hex(32))
    return path.read_text().strip()


def from_environment(instance_path: Path, root_path: Path) -> dict:
    """The app's settings, from environment variables with embedded defaults."""
    upload_mb = _int("MAX_UPLOAD_MB", 20)
    files_per_upload = _int("MAX_FILES_PER_UPLOAD", 10)
    return {
        "SECRET_KEY": secret_key(instance_path),
        # Earlier keys, comma-separated, still accepted for sessions signed before a rotation.
        "SECRET_KEY_FALLBACKS": [k for k in (os.environ.get("SECRET_KEY_FALLBACKS") or "")
                                 .split(",") if k.strip()],
        "SECRET_KEY_GENERATED": not os.environ.get("SECRET_KEY"),
        # Behind a load balancer: how many proxies' X-Forwarded-* headers to believe (0: none).
        "TRUSTED_PROXIES": _int("TRUSTED_PROXIES", 0),
        "SQLALCHEMY_DATABASE_URI": database_url(os.environ.get("DATABASE_URL"))
        or f"sqlite:///{instance_path / 'portfolio.sqlite3'}",
        "EVIDENCE_DIR": os.environ.get("EVIDENCE_DIR") or str(instance_path / "evidence"),
        "CRITERIA_DIR": os.environ.get("CRITERIA_DIR") or str(root_path / "criteria"),
        "EXPORT_DIR": os.environ.get("EXPORT_DIR") or str(root_path / "exports"),
        # s3://bucket/prefix: evidence and exports in an S3-compatible bucket shared by every
        # server (endpoint and credentials: boto3's AWS_* settings) instead of the two folders
        # above; STORE_CACHE_DIR is this server's own copy of what it has read from it.
        "STORAGE_URL": os.environ.get("STORAGE_URL") or "",
        "STORE_CACHE_DIR": os.environ.get("STORE_CACHE_DIR") or str(instance_path / "store-cache"),
        # redis://host:6379/0: exports, packs and emails go to RQ workers (`flask worker`);
        # without it they run in a thread of the web process.
        "REDIS_URL": os.environ.get("REDIS_URL") or "",
        # Sign-in attempts (POST /login) allowed per internet address (a college's whole
        # network can share one) and per account, in Flask-Limiter's words.
        "LOGIN_RATE_PER_ADDRESS": os.environ.get("LOGIN_RATE_PER_ADDRESS") or "100 per minute",
        "LOGIN_RATE_PER_ACCOUNT": os.environ.get("LOGIN_RATE_PER_ACCOUNT") or "20 per minute",
        "RATELIMIT_ENABLED": _bool(os.environ.get("RATELIMIT_ENABLED"), True),
        # Assessors, IQAs, admins and EQAs must use two-step sign-in (an authenticator app);
        # off by default so the demo's printed logins work without a phone. Anyone may turn
        # it on for themselves either way.
        "MFA_REQUIRED_FOR_STAFF": _bool(os.environ.get("MFA_REQUIRED_FOR_STAFF"), False),
        # Limits for one export or pack in a worker: seconds, and megabytes of address space.
        "JOB_SECONDS": _int("JOB_SECONDS", 900),
        "JOB_MEMORY_MB": _int("JOB_MEMORY_MB", 3072),
        # A running job that has shown no sign of life for this long died with its process.
        "JOB_LOST_SECONDS": _int("JOB_LOST_SECONDS", 90),
        # "json": one JSON object per log line, with the request id (for a log collector).
        "LOG_FORMAT": os.environ.get("LOG_FORMAT") or "text",
        "MAX_UPLOAD_BYTES": upload_mb * MB,
        "MAX_FILES_PER_UPLOAD": files_per_upload,
        # Whole request: every file at its limit plus the form's text.
        "MAX_CONTENT_LENGTH": upload_mb * MB * files_per_upload + 2 * MB,
        "SESSION_COOKIE_SECURE": _bool(os.environ.get("SESSION_COOKIE_SECURE"), False),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": _bool(os.environ.get("SESSION_COOKIE_SECURE"), False),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "PERMANENT_SESSION_LIFETIME": _int("SESSION_HOURS", 12) * 3600,
        # Tokens last as long as the session: a form left open over lunch still submits.
        "WTF_CSRF_TIME_LIMIT": None,
        "BOOTSTRAP_SERVE_LOCAL": True,
        "CENTRE_NAME": os.environ.get("CENTRE_NAME") or "Demo Training Centre",
        # Email for notifications: off unless MAIL_SERVER is set. PUBLIC_URL makes the links
        # in emails absolute (for example https://portfolio.example-college.ac.uk).
        "MAIL_SERVER": os.environ.get("MAIL_SERVER") or "",
        "MAIL_PORT": _int("MAIL_PORT", 0) or None,
        "MAIL_USE_TLS": _bool(os.environ.get("MAIL_USE_TLS"), True),
        "MAIL_USE_SSL": _bool(os.environ.get("MAIL_USE_SSL"), False),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME") or "",
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD") or "",
        "MAIL_FROM": os.environ.get("MAIL_FROM") or "portfolio@localhost",
        "PUBLIC_URL": os.environ.get("PUBLIC_URL") or "",
        "WITNESS_LINK_DAYS": _int("WITNESS_LINK_DAYS", 14),
        # How long a "forgotten your password?" link works (it works once).
        "RESET_LINK_MINUTES": _int("RESET_LINK_MINUTES", 60),
        # IQA sampling: percentage of each assessor's portfolios by risk rating.
        "SAMPLING_TARGETS": sampling_targets(os.environ.get("SAMPLING_TARGETS")),
        # Samples planned longer ago than this count no more towards targets and coverage.
        "SAMPLING_PERIOD_MONTHS": _int("SAMPLING_PERIOD_MONTHS", 12),
        # Learner records are kept this many years after the programme ends (DfE funding
        # rules: 6), then an administrator may erase them (Records past retention).
        "RETENTION_YEARS": _int("RETENTION_YEARS", 6),
        # How long an EQA's invitation link (to set a password) works, within the grant.
        "EQA_INVITE_DAYS": _int("EQA_INVITE_DAYS", 7),
        # The centre's signing certificate for PDFs (default: created in instance/signing/).
        "SIGNING_P12": os.environ.get("SIGNING_P12") or "",
        "SIGNING_P12_PASSWORD": os.environ.get("SIGNING_P12_PASSWORD") or "",
        "SIGNING_TRUST_ROOTS": os.environ.get("SIGNING_TRUST_ROOTS") or "",
        # Every PDF, Word document and email is read in a child process with this budget, at
        # upload and at export (sandbox.py); past it, the file is refused or marked.
        # A server's connections to a database server: checked before use, so a database
        # restart costs a reconnect instead of one failed request per worker.
        "DB_POOL_SIZE": _int("DB_POOL_SIZE", 5),
        "DB_MAX_OVERFLOW": _int("DB_MAX_OVERFLOW", 5),
        "PARSE_SECONDS": _int("PARSE_SECONDS", 20),
        "PARSE_MEMORY_MB": _int("PARSE_MEMORY_MB", 768),
        # A learner's redaction of personal data: true keeps the original (the file, and the
        # earlier versions' text) for staff only; false (the default) removes it.
        "REDACTION_KEEPS_ORIGINAL": _bool(os.environ.get("REDACTION_KEEPS_ORIGINAL"), False),
        # Exports and sample packs one person may have running at once.
        "EXPORTS_PER_PERSON": _int("EXPORTS_PER_PERSON", 2),
        # A CSV import of learners: the largest file, and the most learners in one file.
        "IMPORT_MAX_BYTES": _int("IMPORT_MAX_MB", 1) * MB,
        "IMPORT_MAX_ROWS": _int("IMPORT_MAX_ROWS", 2000),
        # Criteria suggestions: auto (the model when its extra is installed, else BM25),
        # lexical, embedding or combined; and where the criteria's vectors are kept, per unit
        # version and model, so that a restarted server does not compute them again.
        "SUGGEST_METHOD": (os.environ.get("SUGGEST_METHOD") or "auto").strip().lower(),
        "SUGGEST_WARM": _bool(os.environ.get("SUGGEST_WARM"), False),
        "SUGGEST_CACHE_DIR": os.environ.get("SUGGEST_CACHE_DIR")
        or str(instance_path / "suggest-cache"),
        **oidc_settings(),
    }


def oidc_settings() -> dict:
    """Signing in with the college account (OpenID Connect): off unless OIDC_ISSUER and
    OIDC_CLIENT_ID are set. README, "Sign in with the college account"."""
    issuer = (os.environ.get("OIDC_ISSUER") or "").strip().rstrip("/")
    return {
        "OIDC_ISSUER": issuer,
        # The discovery document; by default where the standard puts it under the issuer.
        "OIDC_METADATA_URL": os.environ.get("OIDC_METADATA_URL") or "",
        "OIDC_CLIENT_ID": os.environ.get("OIDC_CLIENT_ID") or "",
        "OIDC_CLIENT_SECRET": os.environ.get("OIDC_CLIENT_SECRET") or "",
        "OIDC_SCOPES": os.environ.get("OIDC_SCOPES") or "openid email profile",
        "OIDC_BUTTON_LABEL": os.environ.get("OIDC_BUTTON_LABEL")
        or "Sign in with your college account",
        # Take the issuer's `email` claim as verified without `email_verified` (an Entra ID
        # tenant the college controls): a risk the README spells out.
        "OIDC_TRUST_EMAIL": _bool(os.environ.get("OIDC_TRUST_EMAIL"), False),
        # Only emails at these domains are matched (empty: any), e.g. "college.ac.uk".
        "OIDC_EMAIL_DOMAINS": [d.strip().lower().lstrip("@") for d in
                               (os.environ.get("OIDC_EMAIL_DOMAINS") or "").split(",")
                               if d.strip()],
        # false: assessors, IQAs and admins sign in only with the college account.
        "PASSWORD_SIGNIN_FOR_STAFF": _bool(os.environ.get("PASSWORD_SIGNIN_FOR_STAFF"), True),
    }


def check(config) -> None:
    """Refuse to start with settings that would be unsafe: called by create_app."""
    public_url = config.get("PUBLIC_URL") or ""
    if int(config.get("RETENTION_YEARS", 6)) < 1:
        raise RuntimeError("RETENTION_YEARS must be 1 or more: records are kept that many "
                           "years after the learner's programme ends.")
    if config.get("MAIL_SERVER") and not public_url:
        raise RuntimeError(
            "MAIL_SERVER is set but PUBLIC_URL is not: set PUBLIC_URL to the address people "
            "use to reach the portfolio (for example https://portfolio.example-college.ac.uk). "
            "Links in emails are built only from PUBLIC_URL, never from the Host a request "
            "claims.")
    if public_url and not public_url.startswith(("https://", "http://")):
        raise RuntimeError(f"PUBLIC_URL must start with https:// (or http://), not "
                           f"{public_url!r}.")
    from .suggest.ranker import METHODS

    if config.get("SUGGEST_METHOD", "auto") not in METHODS:
        raise RuntimeError(f"SUGGEST_METHOD must be one of {', '.join(METHODS)}, not "
                           f"{config['SUGGEST_METHOD']!r}.")
    check_oidc(config)


def check_oidc(config) -> None:
    """The college account's settings make sense together, or the app does not start."""
    issuer, client_id = config.get("OIDC_ISSUER") or "", config.get("OIDC_CLIENT_ID") or ""
    if not config.get("PASSWORD_SIGNIN_FOR_STAFF", True) and not (issuer and client_id):
        raise RuntimeError(
            "PASSWORD_SIGNIN_FOR_STAFF is false but signing in with the college account is "
            "not set up (OIDC_ISSUER and OIDC_CLIENT_ID): no member of staff could sign in.")
    if not issuer and not client_id:
        return
    if not (issuer and client_id):
        raise RuntimeError("Set both OIDC_ISSUER and OIDC_CLIENT_ID (or neither) to sign in "
                           "with the college account.")
    if not config.get("PUBLIC_URL"):
        raise RuntimeError(
            "OIDC_ISSUER is set but PUBLIC_URL is not: the address the identity provider sends "
            "people back to (PUBLIC_URL + /login/oidc/callback, registered with the provider) "
            "is built only from PUBLIC_URL.")
    for name in ("OIDC_ISSUER", "OIDC_METADATA_URL"):
        if config.get(name) and not secure_url(config[name]):
            raise RuntimeError(f"{name} must be an https:// address, not {config[name]!r}.")
    if "openid" not in (config.get("OIDC_SCOPES") or "").split():
        raise RuntimeError("OIDC_SCOPES must include openid.")


def secure_url(url: str) -> bool:
    """https, or http to this machine only (the tests' own provider)."""
    parts = urlsplit(url)
    return parts.scheme == "https" or (parts.scheme == "http"
                                       and parts.hostname in ("127.0.0.1", "localhost"))


def engine_options(settings) -> dict:
    """SQLAlchemy engine options for the chosen database (SQLite takes no pool size)."""
    options = {"pool_pre_ping": True}
    if not str(settings["SQLALCHEMY_DATABASE_URI"]).startswith("sqlite"):
        options |= {"pool_size": settings["DB_POOL_SIZE"],
                    "max_overflow": settings["DB_MAX_OVERFLOW"]}
    return options | dict(settings.get("SQLALCHEMY_ENGINE_OPTIONS") or {})


def database_url(url: str | None) -> str:
    """DATABASE_URL as SQLAlchemy wants it: postgres:// and postgresql:// use psycopg 3."""
    if not url:
        return ""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url
