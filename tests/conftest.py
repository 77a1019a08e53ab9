"""Fixtures: an app on a temporary database and evidence store per test, with CSRF on.

The database is a temporary SQLite file per test; with TEST_DATABASE_URL set (a PostgreSQL
server, as `scripts/test` does for its second run) it is one PostgreSQL database for the
session, created here and dropped at the end, every table emptied after each test.
"""

from __future__ import annotations

import contextvars
import os
import re
import uuid
from datetime import date

import pytest
from flask.testing import FlaskClient
from helpers import PASSWORD, PASSWORD_HASH  # noqa: E402

from portfolio import create_app
from portfolio.ai_use import NO_AI, AiUse
from portfolio.evidence.versions import record_version
from portfolio.extensions import db as _db
from portfolio.models import Claim, Decision, Evidence, Portfolio, Role, User


class IsolatedClient(FlaskClient):
    """Each request gets its own app context, `g` and database session, as in production.

    Without this, requests made while a test holds an app context share that context's `g`
    (where Flask-WTF caches the CSRF token) and its database session.
    """

    def open(self, *args, **kwargs):
        return contextvars.Context().run(super().open, *args, **kwargs)


@pytest.fixture(scope="session")
def postgres_url():
    """A fresh PostgreSQL database for this test session (None: the tests use SQLite)."""
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        yield None
        return
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from portfolio.config import database_url

    server = make_url(database_url(base))
    name = f"portfolio_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = server.set(database=name).render_as_string(hide_password=False)
    schema = create_app({"TESTING": True, "SECRET_KEY": "t", "SQLALCHEMY_DATABASE_URI": url})
    with schema.app_context():
        _db.create_all()
        _db.engine.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _empty_every_table() -> None:
    from sqlalchemy import text

    names = ", ".join(f'"{t.name}"' for t in _db.metadata.sorted_tables)
    _db.session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    _db.session.commit()


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory):
    """A real S3-compatible server (SeaweedFS) for this test session, with boto3's settings
    in the environment."""
    from s3_server import start

    server = start(tmp_path_factory.mktemp("s3"))
    saved = {k: os.environ.get(k) for k in server.env}
    os.environ.update(server.env)
    yield server
    server.stop()
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


@pytest.fixture
def storage_url() -> str:
    """The app's STORAGE_URL: local folders, unless a test module asks for S3."""
    return ""


@pytest.fixture
def app_settings() -> dict:
    """More settings for the app: a test module overrides this (test_oidc.py)."""
    return {}


@pytest.fixture
def app(tmp_path, postgres_url, storage_url, app_settings):
    app = create_app({
        "TESTING": True,
        "SECRET_KEY": "test",
        "SQLALCHEMY_DATABASE_URI": postgres_url or f"sqlite:///{tmp_path / 'test.sqlite3'}",
        "EVIDENCE_DIR": str(tmp_path / "evidence"),
        "EXPORT_DIR": str(tmp_path / "exports"),  # never into the repository's exports/
        "STORAGE_URL": storage_url,
        "STORE_CACHE_DIR": str(tmp_path / "store-cache"),
        "MAX_UPLOAD_BYTES": 200_000,
        # Tests sign in hundreds of times from one address: the limits have tests of their
        # own (test_auth.py), with an app of their own.
        "RATELIMIT_ENABLED": False,
        **app_settings,
    }, instance_path=str(tmp_path / "instance"))
    app.test_client_class = IsolatedClient
    with app.app_context():
        if postgres_url:
            _empty_every_table()
        else:
            _db.create_all()
        yield app
        _db.session.remove()
        if postgres_url:
            _empty_every_table()
            _db.session.remove()
        _db.engine.dispose()


@pytest.fixture
def db(app):
    return _db


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def make_user(db):
    def make(role: str, name: str | None = None, email: str | None = None) -> User:
        n = db.session.query(User).count() + 1
        user = User(email=email or f"{role}{n}@test.example", name=name or f"{role.title()} {n}",
                    role=Role(role).value, password_hash=PASSWORD_HASH)
        db.session.add(user)
        db.session.commit()
        return user
    return make


@pytest.fixture
def people(make_user):
    """Two learners with two assessors and two IQAs, plus an admin."""
    return {name: make_user(role, name=name.replace("_", " ").title())
            for name, role in [("learner", "learner"), ("other_learner", "learner"),
                               ("assessor", "assessor"), ("other_assessor", "assessor"),
                               ("iqa", "iqa"), ("other_iqa", "iqa"), ("admin", "admin")]}


@pytest.fixture
def portfolios(db, people):
    """people['learner'] with assessor/iqa; people['other_learner'] with the others."""
    own = Portfolio(learner_id=people["learner"].id, unit_id="unit-40",
                    assessor_id=people["assessor"].id, iqa_id=people["iqa"].id)
    other = Portfolio(learner_id=people["other_learner"].id, unit_id="unit-40",
                      assessor_id=people["other_assessor"].id, iqa_id=people["other_iqa"].id)
    db.session.add_all([own, other])
    db.session.commit()
    return {"own": own, "other": other}


@pytest.fixture
def make_evidence(db):
    def make(portfolio: Portfolio, title="Email to customer", method="product_evidence",
             dated: date | None = None, claims: dict[str, str | None] | None = None,
             account="An account.", ranges: dict[str, list[str]] | None = None,
             by_assessor: bool = False, confirmed: bool = False,
             ai_use: AiUse | None = NO_AI) -> Evidence:
        """claims: criterion id -> None (awaiting), 'accepted', or 'referred'; ranges: the
        range items claimed (and confirmed with the decision). by_assessor: an assessor's
        record; confirmed: the learner has confirmed it. ai_use: the learner's statement of
        AI use on their own item (None: not answered, as on items from before the question)."""
        import json

        from portfolio.models import EvidenceResponse

        author = portfolio.assessor_id if by_assessor else portfolio.learner_id
        ev = Evidence(portfolio_id=portfolio.id, title=title, method=method,
                      dated=dated or date.today(), context="", account_md=account,
                      author_id=author)
        if not by_assessor and method not in ("witness_testimony", "expert_witness"):
            ev.ai_use = ai_use
        db.session.add(ev)
        db.session.flush()
        for cid, outcome in (claims or {}).items():
            claim = Claim(criterion_id=cid, rationale="Paragraph 2.", created_by_id=author)
            claim.range_items = (ranges or {}).get(cid, [])
            ev.claims.append(claim)
            if outcome:
                claim.decisions.append(Decision(
                    outcome=outcome, assessor_id=portfolio.assessor_id,
                    feedback="" if outcome == "accepted" else "Say more about the cause.",
                    range_json=json.dumps(claim.range_items)))
        if confirmed:
            ev.responses.append(EvidenceResponse(evidence_version=1, response="confirmed",
                                                 learner_id=portfolio.learner_id))
        record_version(ev, actor=db.session.get(User, author))
        portfolio.lock_version += 1  # as every service's change does (access.claim_portfolio)
        db.session.commit()
        return ev
    return make


class Browser:
    """Test-client helpers that behave like a person: open the form, then send it (CSRF on)."""

    def __init__(self, client):
        self.client = client

    def login(self, user_or_email, password=PASSWORD, next_url=None):
        email = getattr(user_or_email, "email", user_or_email)
        url = "/login" + (f"?next={next_url}" if next_url else "")
        return self.submit(url, {"email": email, "password": password})

    def token(self, url: str) -> str:
        page = self.client.get(url, follow_redirects=True)
        match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text) or \
            re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert match, f"no CSRF token on {url} ({page.status_code})"
        return match.group(1)

    def submit(self, url: str, data: dict, form_url: str | None = None, **kw):
        """GET form_url (default url) for its token and hidden fields, then POST to url."""
        page = self.client.get(form_url or url)
        fields = dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*type="hidden"[^>]*value="([^"]*)"',
                                 page.text))
        fields.update(re.findall(r'<input[^>]*type="hidden"[^>]*name="([^"]+)"[^>]*value="([^"]*)"',
                                 page.text))
        return self.client.post(url, data={**fields, **data}, **kw)


@pytest.fixture
def browser(client):
    return Browser(client)


@pytest.fixture
def eqa_grant(db, people, portfolios, make_user):
    """An EQA with a current 14-day grant to people['learner']'s portfolio only."""
    from datetime import timedelta

    from portfolio.models import EqaGrant, utcnow

    eqa = make_user("eqa", name="Eva External")
    grant = EqaGrant(eqa_id=eqa.id, granted_by_id=people["admin"].id, organisation="AB",
                     expires_at=utcnow() + timedelta(days=14), invite_used_at=utcnow())
    grant.portfolios = [portfolios["own"]]
    db.session.add(grant)
    db.session.commit()
    return grant
