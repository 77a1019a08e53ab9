"""Logs that can be followed across servers: every line carries the request id (or the job id
of the queue's work), and with LOG_FORMAT=json every line is one JSON object for a log
collector. Each response says its request id in X-Request-ID, so a person's "it failed at
10:42" can be matched to the line; a load balancer's own X-Request-ID is kept when the app
trusts its proxy (TRUSTED_PROXIES)."""

from __future__ import annotations

import contextvars
import json
import logging
import re
import time
import uuid
from datetime import UTC, datetime

from flask import Flask, g, has_request_context, request

_job = contextvars.ContextVar("job_id", default=None)
_GIVEN_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def request_id() -> str:
    if has_request_context():
        return g.get("request_id", "-")
    job = _job.get()
    return f"job-{job}" if job is not None else "-"


def in_job(job_id: int | str):
    """Mark this context's log lines as the work of a queued job."""
    return _job.set(job_id)


class _Context(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id()
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        when = datetime.fromtimestamp(record.created, UTC)
        line = {"time": when.isoformat(timespec="milliseconds"),
                "level": record.levelname, "logger": record.name,
                "request_id": getattr(record, "request_id", "-"),
                "message": record.getMessage()}
        if has_request_context():
            line |= {"method": request.method, "path": request.path}
        for extra in ("status", "ms", "user_id"):
            if hasattr(record, extra):
                line[extra] = getattr(record, extra)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def init_app(app: Flask) -> None:
    handler = logging.StreamHandler()
    handler.addFilter(_Context())
    if app.config.get("LOG_FORMAT") == "json":
        handler.setFormatter(JsonFormatter())
        app.logger.setLevel(logging.INFO)
    else:
        handler.setFormatter(logging.Formatter(
            "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"))
    app.logger.handlers = [handler]
    requests_log = app.logger.getChild("requests")

    @app.before_request
    def _start():
        given = request.headers.get("X-Request-ID", "") if app.config.get(
            "TRUSTED_PROXIES") else ""
        g.request_id = given if _GIVEN_ID.match(given) else uuid.uuid4().hex
        g.started = time.perf_counter()

    @app.after_request
    def _finish(response):
        response.headers["X-Request-ID"] = g.get("request_id", "-")
        if "started" in g and request.endpoint != "static":
            from flask_login import current_user

            ms = round((time.perf_counter() - g.started) * 1000, 1)
            user = getattr(current_user, "id", None) if current_user else None
            requests_log.info("%s %s %s %sms", request.method, request.path,
                              response.status_code, ms,
                              extra={"status": response.status_code, "ms": ms,
                                     "user_id": user})
        return response
