"""Try the centre as a provider runs it: two gunicorn servers (four workers each) on one
PostgreSQL, one Redis and one S3 store (SeaweedFS), with one job worker, and check what the
README promises of them. Prints each check as it goes; exit status 1 if any fails.

    .venv/bin/python deploy/trial.py            # needs PostgreSQL and Redis on 127.0.0.1

1. A file uploaded through server A downloads through server B (and a byte range of it).
2. An export started on A survives a reload (SIGHUP) of A and of B: the worker makes it.
3. A worker killed mid-export: the job is shown failed, with "Start it again", within two
   minutes; started again, a new worker makes it.
4. /healthz on both says the database, the queue and the store are ok.
"""

from __future__ import annotations

import io
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from s3_server import start as start_s3  # noqa: E402

BIN = Path(sys.executable).parent
PASSWORD = "trial-password-1"


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


class Person:
    """A browser session on one server (cookies kept), filling forms as a person would."""

    def __init__(self, base: str):
        self.base, self.http = base, requests.Session()

    def token(self, path: str) -> str:
        page = self.http.get(self.base + path, timeout=30)
        return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text).group(1)

    def login(self, email: str) -> None:
        token = self.token("/login")
        done = self.http.post(self.base + "/login", data={
            "csrf_token": token, "email": email, "password": PASSWORD}, timeout=30)
        assert "Sign out" in done.text, f"could not sign in as {email} on {self.base}"

    def post(self, path: str, form_path: str, **kw):
        data = {"csrf_token": self.token(form_path), **kw.pop("data", {})}
        return self.http.post(self.base + path, data=data, allow_redirects=False, timeout=60,
                              **kw)


def wait_until(check, seconds: float, every: float = 1.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(every)
    return None


def main() -> int:
    work = Path(tempfile.mkdtemp(prefix="portfolio-trial-"))
    name = f"portfolio_trial_{uuid.uuid4().hex[:8]}"
    subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc",
                    f'CREATE DATABASE "{name}"'], check=True)
    s3 = start_s3(work / "s3")
    env = os.environ | s3.env | {
        "DATABASE_URL": f"postgresql://postgres@127.0.0.1:5432/{name}",
        "REDIS_URL": "redis://127.0.0.1:6379/3", "STORAGE_URL": "s3://portfolio/centre",
        "SECRET_KEY": uuid.uuid4().hex, "JOB_LOST_SECONDS": "60", "LOG_FORMAT": "json",
        "CENTRE_NAME": "Trial College"}
    processes: list[subprocess.Popen] = []
    failures = []

    def check(ok: bool, what: str) -> None:
        log(("PASS  " if ok else "FAIL  ") + what)
        if not ok:
            failures.append(what)

    def server(label: str, port: int) -> subprocess.Popen:
        own = env | {"INSTANCE_PATH": str(work / label), "STORE_CACHE_DIR": str(work / label /
                                                                                 "cache")}
        out = (work / f"{label}.log").open("wb")
        process = subprocess.Popen(
            [str(BIN / "gunicorn"), "-c", str(ROOT / "deploy/gunicorn.conf.py"), "--workers",
             "4", "--bind", f"127.0.0.1:{port}", "portfolio:create_app()"],
            cwd=ROOT, env=own, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        processes.append(process)
        return process

    def worker() -> subprocess.Popen:
        own = env | {"INSTANCE_PATH": str(work / "worker"),
                     "STORE_CACHE_DIR": str(work / "worker" / "cache")}
        out = (work / "worker.log").open("ab")
        process = subprocess.Popen([str(BIN / "flask"), "--app", "app", "worker"], cwd=ROOT,
                                   env=own, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        processes.append(process)
        return process

    try:
        first = env | {"INSTANCE_PATH": str(work / "release")}
        subprocess.run([str(BIN / "flask"), "--app", "app", "init-db"], cwd=ROOT, env=first,
                       check=True, capture_output=True)
        subprocess.run([str(BIN / "flask"), "--app", "app", "demo", "--password", PASSWORD],
                       cwd=ROOT, env=first, check=True, capture_output=True)
        # One signing identity for every server: the one the release step made on first use.
        subprocess.run([str(BIN / "flask"), "--app", "app", "export", "1"], cwd=ROOT,
                       env=first, check=True, capture_output=True)
        env["SIGNING_P12"] = str(work / "release" / "signing" / "signing.p12")
        env["SIGNING_P12_PASSWORD"] = (work / "release" / "signing" /
                                       "signing.passphrase").read_text()
        a, b = server("a", 8101), server("b", 8102)
        work_er = worker()
        base_a, base_b = "http://127.0.0.1:8101", "http://127.0.0.1:8102"
        for base in (base_a, base_b):
            up = wait_until(lambda base=base: _health(base), 60)
            check(bool(up) and up == {"status": "ok", "database": "ok", "queue": "ok",
                                      "store": "ok"}, f"{base}/healthz: {up}")

        # 1. Upload on A, download on B.
        on_a, on_b = Person(base_a), Person(base_b)
        on_a.login("learner@demo.test")
        on_b.http.cookies.update(on_a.http.cookies)  # one session, whichever server answers
        home = on_a.http.get(base_a + "/portfolios/", timeout=30)  # a learner's lands on it
        portfolio = re.search(r"/portfolios/(\d+)", home.url + home.text).group(1)
        data = os.urandom(64) * 1000
        new = f"/portfolios/{portfolio}/evidence/new"
        made = on_a.post(new, new, data={
            "title": "Trial letter", "method": "product_evidence", "dated": "2026-11-30",
            "context": "Trial", "account_md": "Uploaded on server A."},
            files={"files": ("trial.txt", io.BytesIO(b"Dear Mr Hughes,\n" + data.hex()
                                                     .encode()[:60000]), "text/plain")})
        check(made.status_code == 302, f"upload on A answered {made.status_code}")
        evidence = re.search(r"/evidence/(\d+)", made.headers.get("Location", "")).group(1)
        link = re.search(rf'href="(/evidence/{evidence}/files/\d+)"', on_b.http.get(
            f"{base_b}/evidence/{evidence}").text).group(1)
        whole = on_b.http.get(base_b + link, timeout=30)
        check(whole.status_code == 200 and whole.content.startswith(b"Dear Mr Hughes"),
              f"the file uploaded on A downloads on B ({whole.status_code}, "
              f"{len(whole.content)} bytes)")
        part = on_b.http.get(base_b + link, headers={"Range": "bytes=5-12"}, timeout=30)
        check(part.status_code == 206 and part.content == b"Mr Hughe", "a byte range on B")

        # 2. An export survives a reload of either server.
        assessor = Person(base_a)
        assessor.login("assessor@demo.test")
        page = f"/portfolios/{portfolio}"
        job_url = assessor.post(f"{page}/export", page).headers["Location"]
        os.kill(a.pid, signal.SIGHUP)
        os.kill(b.pid, signal.SIGHUP)
        log("reloaded A and B (SIGHUP) with the export in hand")
        status = job_url + "/status"
        done = wait_until(lambda: _status(assessor, base_b + status) in ("done", "failed")
                          and _status(assessor, base_b + status), 240, 2)
        check(done == "done", f"the export survived both reloads: {done}")
        pdf = assessor.http.get(base_b + job_url + "/pdf", timeout=60)
        check(pdf.status_code == 200 and pdf.content.startswith(b"%PDF"),
              f"its PDF downloads from B ({len(pdf.content):,} bytes)")

        # 3. A worker killed mid-export.
        job_url = assessor.post(f"{page}/export", page).headers["Location"]
        running = wait_until(lambda: _status(assessor, base_a + job_url + "/status") ==
                             "running", 120, 0.2)
        log(f"export {job_url} is {'running' if running else 'not running'}; killing the "
            "worker and its job process")
        _kill_tree(work_er.pid)
        killed_at = time.monotonic()
        failed = wait_until(lambda: _status(assessor, base_b + job_url + "/status") ==
                            "failed", 150, 2)
        took = time.monotonic() - killed_at
        shown = assessor.http.get(base_b + job_url, timeout=30).text
        check(bool(failed) and took < 120 and "Start it again" in shown,
              f"the killed job was shown failed with 'Start it again' after {took:.0f} s")
        worker()
        again = assessor.post(f"{job_url}/again", job_url).headers["Location"]
        done = wait_until(lambda: _status(assessor, base_a + again + "/status") == "done",
                          240, 2)
        check(bool(done), "started again, a new worker made it")
    finally:
        for process in processes:
            _kill_tree(process.pid)
        s3.stop()
        subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc",
                        f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'], check=False)
        log(f"logs in {work}")
    log("all checks passed" if not failures else f"{len(failures)} check(s) failed")
    return 1 if failures else 0


def _health(base: str):
    try:
        return requests.get(base + "/healthz", timeout=5).json()
    except Exception:  # not up yet
        return None


def _status(person: Person, url: str) -> str:
    try:
        return person.http.get(url, timeout=10).json()["status"]
    except Exception:  # a reloading server: ask again
        return ""


def _kill_tree(pid: int) -> None:
    """SIGKILL a process and every process it started (as a machine failing would)."""
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        children = []
    for child in children:
        _kill_tree(int(child))
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


if __name__ == "__main__":
    sys.exit(main())
