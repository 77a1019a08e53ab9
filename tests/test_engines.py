"""The database engine: pool settings, URLs, and migrations that several servers may start at
once. The rest of the suite runs on PostgreSQL as well (scripts/test's second run)."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from portfolio import create_app
from portfolio.config import database_url, engine_options

ROOT = Path(__file__).resolve().parent.parent


def test_postgres_urls_use_psycopg_3():
    assert database_url("postgres://u:p@h/db") == "postgresql+psycopg://u:p@h/db"
    assert database_url("postgresql://u@h:5432/db") == "postgresql+psycopg://u@h:5432/db"
    assert database_url("sqlite:///x.db") == "sqlite:///x.db" and database_url(None) == ""


def test_connections_are_checked_before_use_and_the_pool_is_sized(tmp_path):
    options = engine_options({"SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://h/db",
                              "DB_POOL_SIZE": 8, "DB_MAX_OVERFLOW": 2})
    assert options == {"pool_pre_ping": True, "pool_size": 8, "max_overflow": 2}
    app = create_app({"TESTING": True, "SECRET_KEY": "t",
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'db.sqlite3'}"},
                     instance_path=str(tmp_path / "instance"))
    assert app.config["SQLALCHEMY_ENGINE_OPTIONS"] == {"pool_pre_ping": True}


@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"), reason="needs PostgreSQL")
def test_three_servers_starting_init_db_together_all_succeed(tmp_path):
    """An advisory lock makes the upgrades queue: the first migrates, the others find the
    schema current. (Without it two of three failed on a unique violation in pg_type.)"""
    server = make_url(database_url(os.environ["TEST_DATABASE_URL"]))
    name = f"portfolio_initdb_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = server.set(database=name).render_as_string(hide_password=False)
    try:
        env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "t",
               "INSTANCE_PATH": str(tmp_path / "instance"), "FLASK_APP": "app"}
        starts = [subprocess.Popen([sys.executable, "-m", "flask", "init-db"], cwd=ROOT,  # noqa: S603
                                   env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
                  for _ in range(3)]
        outputs = [p.communicate(timeout=120)[0].decode() for p in starts]
        assert [p.returncode for p in starts] == [0, 0, 0], outputs
        engine = create_engine(url)
        with engine.connect() as conn:
            heads = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
        engine.dispose()
        latest = sorted(p.name.split("_", 1)[0] for p in (ROOT / "migrations" / "versions")
                        .glob("0*.py"))[-1]
        assert heads == [latest]
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_two_tabs_saving_at_the_same_instant_one_wins_one_is_told(app, db, people,
                                                                 portfolios):
    """On SQLite and on PostgreSQL: the second save waits for the first, then sees its version
    and is refused as a stale edit (the page that shows the typed text back), never a 500."""
    import threading
    from datetime import date

    from portfolio.evidence.services import EvidenceFields, StaleEdit, add_evidence
    from portfolio.extensions import db as _db
    from portfolio.models import Evidence, EvidenceVersion, User
    from portfolio.units import all_units

    store = app.extensions["evidence_store"]
    unit = all_units()["unit-40"]
    today = date.today()
    evidence = add_evidence(portfolios["own"], unit,
                            EvidenceFields("Log", "product_evidence", today, "", "First."), [],
                            actor=people["learner"], store=store, submission_key=None,
                            today=today)
    db.session.commit()
    evidence_id, learner_id = evidence.id, people["learner"].id
    barrier, results = threading.Barrier(2), []

    def save(text):
        with app.app_context():
            item = _db.session.get(Evidence, evidence_id)
            learner = _db.session.get(User, learner_id)
            barrier.wait()
            try:
                update_evidence(item, unit, EvidenceFields("Log", "product_evidence", today,
                                                           "", text), [],
                                expected_version=1, actor=learner, store=store, today=today)
                _db.session.commit()
                results.append("saved")
            except StaleEdit:
                _db.session.rollback()
                results.append("stale")
            finally:
                _db.session.remove()

    from portfolio.evidence.services import update_evidence
    threads = [threading.Thread(target=save, args=(f"Tab {n}.",)) for n in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(results) == ["saved", "stale"]
    db.session.expire_all()
    assert db.session.get(Evidence, evidence_id).version == 2
    assert db.session.query(EvidenceVersion).filter_by(evidence_id=evidence_id).count() == 2


def test_healthz_checks_the_database_and_the_store(app, client, tmp_path):
    ok = client.get("/healthz")
    assert ok.status_code == 200 and ok.get_json() == {"status": "ok", "database": "ok",
                                                       "store": "ok", "queue": "in-process"}
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    app.extensions["evidence_store"].blobs.root = blocker / "store"  # cannot exist
    broken = client.get("/healthz")
    assert broken.status_code == 503 and broken.get_json()["store"] == "failed"


def test_behind_a_load_balancer_and_with_a_rotated_key(tmp_path, monkeypatch):
    from flask import request, session

    monkeypatch.setenv("SECRET_KEY", "new-key")
    monkeypatch.setenv("SECRET_KEY_FALLBACKS", "old-key")
    monkeypatch.setenv("TRUSTED_PROXIES", "1")
    app = create_app({"TESTING": True,
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'db.sqlite3'}"},
                     instance_path=str(tmp_path / "instance"))
    assert app.config["SECRET_KEY_FALLBACKS"] == ["old-key"]

    @app.route("/_probe")
    def probe():
        return {"scheme": request.scheme, "remote": request.remote_addr,
                "who": session.get("who")}

    old = create_app({"TESTING": True, "SECRET_KEY": "old-key",
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'db2.sqlite3'}"},
                     instance_path=str(tmp_path / "instance2"))
    with old.test_request_context():
        from flask.sessions import SecureCookieSessionInterface
        cookie = SecureCookieSessionInterface().get_signing_serializer(old).dumps({"who": "x"})
    client = app.test_client()
    client.set_cookie("session", cookie)
    seen = client.get("/_probe", headers={"X-Forwarded-Proto": "https",
                                          "X-Forwarded-For": "203.0.113.9"}).get_json()
    assert seen == {"scheme": "https", "remote": "203.0.113.9", "who": "x"}
