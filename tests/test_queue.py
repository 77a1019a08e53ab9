"""Exports and emails on a real job queue (RQ on the Redis that scripts/test finds or starts):
a worker does the work, a killed worker's job is shown failed with "start again" within
JOB_LOST_SECONDS, emails the server defers are tried again and logged with their notice id;
request ids in logs and responses."""

from __future__ import annotations

import json
import logging
import os
import signal
import smtplib
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import FakeSMTP
from sqlalchemy import select

from portfolio import queue, tasks
from portfolio.extensions import db as _db
from portfolio.models import ExportJob, Notification
from portfolio.notify import notify
from portfolio.observe import JsonFormatter

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def redis_url():
    """Redis database 15, emptied before and after (scripts/test makes sure Redis runs)."""
    from redis import Redis

    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    conn = Redis.from_url(url, socket_connect_timeout=2)
    try:
        conn.ping()
    except Exception:
        if os.environ.get("REQUIRE_SERVICES"):
            raise
        pytest.skip(f"needs Redis at {url}")
    conn.flushdb()
    yield url
    conn.flushdb()


@pytest.fixture
def queued(app, redis_url):
    app.config.update(REDIS_URL=redis_url, JOB_LOST_SECONDS=3)
    return app


def _export(browser, portfolios, make_evidence):
    make_evidence(portfolios["own"], claims={"2.1": "accepted"})
    url = f"/portfolios/{portfolios['own'].id}"
    return browser.submit(f"{url}/export", {}, form_url=url).headers["Location"]


def _job() -> ExportJob:
    _db.session.expire_all()
    return _db.session.scalars(select(ExportJob).order_by(ExportJob.id.desc())).first()


def test_with_redis_an_export_waits_for_a_worker_and_the_worker_makes_it(
        queued, db, client, browser, people, portfolios, make_evidence):
    browser.login(people["assessor"])
    job_url = _export(browser, portfolios, make_evidence)
    job = _job()
    assert job.status == "queued" and job.queue_id and queue.queue(queued).count == 1
    assert "Portfolio PDF for" in client.get(job_url).text  # the web server did not make it
    queue.work(queued, burst=True)  # forks a job process, as `flask worker` does
    assert _job().status == "done", _job().error
    page = client.get(job_url).text
    assert "The signed PDF is ready" in page
    with client.get(f"{job_url}/pdf") as pdf:
        assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")


def _worker(app, *extra) -> subprocess.Popen:
    """`flask --app app worker` in a process of its own, on the test's database and store."""
    env = os.environ | {
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "SECRET_KEY": "test",
        "REDIS_URL": app.config["REDIS_URL"], "INSTANCE_PATH": app.instance_path,
        "EVIDENCE_DIR": app.config["EVIDENCE_DIR"], "EXPORT_DIR": app.config["EXPORT_DIR"],
        "STORE_CACHE_DIR": app.config["STORE_CACHE_DIR"], "JOB_LOST_SECONDS": "3"}
    return subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "worker", *extra],  # noqa: S603
                            cwd=ROOT, env=env, start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def test_a_killed_worker_s_export_is_shown_failed_and_starts_again(
        queued, db, client, browser, people, portfolios, make_evidence):
    browser.login(people["assessor"])
    job_url = _export(browser, portfolios, make_evidence)
    worker = _worker(queued)
    deadline = time.monotonic() + 60
    while _job().status != "running" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _job().status == "running"
    # The machine dies mid-export: the worker and the job process it forked (RQ gives that
    # process a session of its own) are killed at once.
    children = Path(f"/proc/{worker.pid}/task/{worker.pid}/children").read_text().split()
    for pid in [worker.pid, *map(int, children)]:
        os.kill(pid, signal.SIGKILL)
    worker.communicate()
    time.sleep(4)  # longer than JOB_LOST_SECONDS without a sign of life
    page = client.get(job_url).text
    assert "The export failed: The server making it stopped" in page
    assert "Start it again" in page and "carries on" not in page
    response = browser.submit(f"{job_url}/again", {}, form_url=job_url)
    fresh_url = response.headers["Location"]
    assert fresh_url != job_url and _job().status == "queued"
    finished = _worker(queued, "--burst")
    said, _ = finished.communicate(timeout=120)
    assert finished.returncode == 0, said.decode()
    assert "The signed PDF is ready" in client.get(fresh_url).text


def test_a_queued_job_redis_no_longer_holds_is_failed(queued, db, client, browser, people,
                                                      portfolios, make_evidence, redis_url):
    browser.login(people["assessor"])
    job_url = _export(browser, portfolios, make_evidence)
    queue.redis(queued).flushdb()  # Redis restarted empty
    job = _job()
    job.created_at = job.created_at.replace(year=job.created_at.year - 1)
    db.session.commit()
    assert "Start it again" in client.get(job_url).text


def test_emails_go_through_the_queue_with_their_notice_id(queued, db, people, monkeypatch):
    queued.config.update(MAIL_SERVER="smtp.example.test", PUBLIC_URL="https://p.example")
    notice = notify(people["learner"], "Your claim was accepted")
    db.session.commit()
    [job] = queue.queue(queued).jobs
    assert job.func_name == "portfolio.tasks.send_mail"
    assert job.args[0][0]["notice_id"] == notice.id and job.args[0][0]["to"] == \
        people["learner"].email


class Deferring(FakeSMTP):
    """A mail server that says "try later" (421) to the first `busy` emails it is given."""

    busy = 0

    def send_message(self, msg):
        if Deferring.busy:
            Deferring.busy -= 1
            raise smtplib.SMTPResponseException(421, b"Too busy, try later")
        FakeSMTP.sent.append(msg)


@pytest.fixture
def smtp(app, monkeypatch):
    FakeSMTP.sent = []
    monkeypatch.setattr("smtplib.SMTP", Deferring)
    app.config.update(MAIL_SERVER="smtp.example.test", JOBS_BACKGROUND=False,
                      PUBLIC_URL="https://p.example")
    return FakeSMTP.sent


def test_an_email_the_server_defers_is_tried_again(db, people, smtp, caplog):
    Deferring.busy = 2
    notice = notify(people["learner"], "Your claim was accepted")
    db.session.commit()
    assert len(smtp) == 1 and smtp[0]["To"] == people["learner"].email
    assert caplog.text.count(f"deferred the email for notice {notice.id}") == 2


def test_after_the_last_try_the_failure_is_logged_with_the_notice_id(db, people, smtp, caplog):
    Deferring.busy = 99
    notice = notify(people["learner"], "Your claim was accepted")
    db.session.commit()
    assert smtp == []
    assert (f"gave up on a notification email after {len(tasks.MAIL_RETRIES) + 1} tries: "
            f"notice {notice.id}") in caplog.text
    assert db.session.get(Notification, notice.id) is not None  # the inbox item is kept


def test_healthz_checks_the_queue(queued, client):
    assert client.get("/healthz").get_json()["queue"] == "ok"
    queued.config["REDIS_URL"] = "redis://127.0.0.1:1/0"
    queued.extensions.pop("redis", None)
    response = client.get("/healthz")
    assert response.status_code == 503 and response.get_json()["queue"] == "failed"


def test_every_response_has_a_request_id_and_json_logs_carry_it(app, client):
    first, second = client.get("/healthz"), client.get("/healthz")
    assert len(first.headers["X-Request-ID"]) == 32
    assert first.headers["X-Request-ID"] != second.headers["X-Request-ID"]
    # A client's own id is believed only from a trusted proxy.
    given = {"X-Request-ID": "lb-1234567890"}
    assert client.get("/healthz", headers=given).headers["X-Request-ID"] != "lb-1234567890"
    app.config["TRUSTED_PROXIES"] = 1
    assert client.get("/healthz", headers=given).headers["X-Request-ID"] == "lb-1234567890"
    with app.test_request_context("/portfolios/1"):
        from flask import g

        g.request_id = "abc123abc123"
        record = logging.LogRecord("portfolio", logging.ERROR, __file__, 1, "it broke: %s",
                                   ("why",), None)
        app.logger.handlers[0].filters[0].filter(record)
        line = json.loads(JsonFormatter().format(record))
    assert line["request_id"] == "abc123abc123" and line["message"] == "it broke: why"
    assert line["path"] == "/portfolios/1" and line["level"] == "ERROR"


def test_part_files_older_than_the_longest_job_are_swept(app):
    from portfolio.export.jobs import sweep_parts

    store = app.extensions["evidence_store"]
    old, fresh = store.part(".pdf"), store.part(".zip")
    long_ago = time.time() - app.config["JOB_SECONDS"] - 120
    os.utime(old, (long_ago, long_ago))
    assert sweep_parts() == 1  # as at every worker start and whenever a lost job is found
    assert fresh.exists() and not old.exists()
