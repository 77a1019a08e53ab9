"""Work done outside the request: exports, EQA packs and emails.

With REDIS_URL set, each piece of work is an RQ job on Redis, done by `flask --app app worker`
on any machine: a web deploy or a killed web worker loses nothing, and an export no longer
shares a core with web requests. The worker forks a process per job, which runs under a time
limit (RQ's job timeout) and a memory limit (RLIMIT_AS, set in that process only). Without
REDIS_URL the work runs in a thread of the web process, as on a single machine (or inline,
with JOBS_BACKGROUND off, for tests).

A task is named by its import path ("portfolio.tasks.export") and runs with the app's
context; its arguments are ids and plain data, never objects.
"""

from __future__ import annotations

import importlib
import os
import resource
import threading
import time
from datetime import timedelta

from flask import Flask, current_app

QUEUE = "portfolio"


def enabled(app: Flask | None = None) -> bool:
    return bool((app or current_app).config.get("REDIS_URL"))


def redis(app: Flask | None = None):
    """The app's Redis connection (one per process)."""
    app = app or current_app
    conn = app.extensions.get("redis")
    if conn is None or app.extensions.get("redis_pid") != os.getpid():
        from redis import Redis

        conn = app.extensions["redis"] = Redis.from_url(
            app.config["REDIS_URL"], socket_connect_timeout=5, socket_timeout=30,
            health_check_interval=30)
        app.extensions["redis_pid"] = os.getpid()
    return conn


def queue(app: Flask | None = None):
    from rq import Queue

    return Queue(QUEUE, connection=redis(app))


def _function(path: str):
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)


def enqueue(task: str, *args, timeout: int, delay: int = 0,
            in_process: bool = False) -> str | None:
    """Do `task(*args)` outside this request, `delay` seconds from now. Returns the RQ job id
    (None without Redis, or `in_process`: a thread of this process, whatever the settings)."""
    app = current_app._get_current_object()
    if enabled(app) and not in_process:
        options = {"job_timeout": timeout, "result_ttl": 3600, "failure_ttl": 7 * 24 * 3600}
        if delay:
            job = queue(app).enqueue_in(timedelta(seconds=delay), task, *args, **options)
        else:
            job = queue(app).enqueue(task, *args, **options)
        return job.id
    if app.config.get("JOBS_BACKGROUND", True):
        threading.Thread(target=_in_app, args=(app, task, args, delay), daemon=True).start()
    else:  # inline, for tests: a delay is not waited for
        _function(task)(*args)
    return None


def _in_app(app: Flask, task: str, args: tuple, delay: int) -> None:
    from .extensions import db

    time.sleep(delay)
    with app.app_context():
        try:
            _function(task)(*args)
        finally:
            db.session.remove()


def is_lost(rq_id: str) -> bool:
    """True when Redis no longer knows the job (Redis was emptied) or RQ gave up on it."""
    from rq.exceptions import NoSuchJobError
    from rq.job import Job

    try:
        job = Job.fetch(rq_id, connection=redis())
    except NoSuchJobError:
        return True
    return job.get_status(refresh=True) in ("failed", "stopped", "canceled")


def check() -> None:
    """Raise when the queue cannot be reached (for /healthz)."""
    if enabled():
        redis().ping()


def in_job_process() -> bool:
    """True in a process the worker forked for one job (never a web process, nor the worker
    itself)."""
    worker = current_app.extensions.get("worker_pid")
    return worker is not None and worker != os.getpid()


def prepare_job_process() -> None:
    """At the start of every task in a worker's job process: new database connections for
    this process, and its memory limit."""
    from .extensions import db

    db.engine.dispose(close=False)  # the parent's pooled connections are not ours to use
    limit = int(current_app.config.get("JOB_MEMORY_MB") or 0)
    if limit:
        size = limit * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (size, size))


def work(app: Flask, *, burst: bool = False) -> bool:
    """Run a worker on the app's queue (the `flask worker` command)."""
    from rq import Worker

    app.extensions["worker_pid"] = os.getpid()  # its job processes are the other pids
    worker = Worker([queue(app)], connection=redis(app), name=None)
    return worker.work(burst=burst, with_scheduler=True)
