"""Benchmark serving the portfolio page under gunicorn while exports run: in the web process
(no REDIS_URL: a thread) or in a separate `flask worker` (REDIS_URL: an RQ job).

    .venv/bin/python bench/serve.py                    # PostgreSQL if it answers, else SQLite
    .venv/bin/python bench/serve.py --db sqlite --rounds 5 --seconds 10 --clients 4

The demo centre in a fresh database and instance folder; `--clients` threads, each with its
own session signed in as assessor@demo.test, ask for /portfolios/<id> (the demo learner's)
as fast as they are answered for `--seconds`, from gunicorn with deploy/gunicorn.conf.py and
--workers 1 or 4 (--threads 1, so the number of processes is what is compared; --max-requests
0, since a worker recycled mid-window would end the export of (b) with it). Conditions:
(a) no export; (b) an export always running, in a thread of the web process; (c) the same in
a `flask worker` (Redis db 4, flushed before and after). "Always running": a thread starts an
export as the assessor, polls its status every 0.5 s until it ends, starts the next; the
window opens once the first is running, and the last is waited for. Conditions are
interleaved within each round (a, b, c, a, b, c...).

Per workers and condition: requests/s (median of the rounds; spread = (max - min) / median),
latency median and p95 (all rounds' requests); CPU seconds in the window (medians) of the
gunicorn master and workers, of the `flask worker` and its job processes (c), of this process
(the clients and the export poller share the cores with the server) and of the whole machine
(PostgreSQL and anyone else's work too: at most cores x seconds); the exports made (the one
in hand as a window closed included; "+n!" failed) and their median seconds; errors (not 200).
Then ratios of requests/s, medians of the per-round ratios: b/a, c/a, and 4 workers / 1.
Aim (the job queue): in (c) an export no longer slows pages as it does in (b).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import redis
import requests

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PASSWORD = "bench-password-1"  # noqa: S105  (the demo's, in a throwaway database)
REDIS_URL = "redis://127.0.0.1:6379/4"
CONDITIONS = {"a": "no export", "b": "export in web", "c": "export in worker"}
TICK = os.sysconf("SC_CLK_TCK")


def tree(pid: int) -> list[int]:
    """The process and all its descendants (children of any of its threads), parents first."""
    found = [pid]
    for children in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            found += [p for child in children.read_text().split() for p in tree(int(child))]
        except OSError:  # ended while we looked
            continue
    return found


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process tree, with the children each has reaped (a finished job
    process) so that a delta over a window counts them too."""
    total = 0
    for one in tree(pid):
        try:
            fields = Path(f"/proc/{one}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        total += sum(int(f) for f in fields[11:15])  # utime stime cutime cstime
    return total / TICK


def machine_cpu_seconds() -> float:
    """Busy CPU seconds of the whole machine so far (every process, every core)."""
    fields = [int(f) for f in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    return (sum(fields) - fields[3] - fields[4]) / TICK  # all but idle and iowait


def token(http: requests.Session, url: str) -> str:
    """The CSRF token of the form on a page."""
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"',
                     http.get(url, timeout=30).text).group(1)


def signed_in(base: str, email: str) -> requests.Session:
    http = requests.Session()
    done = http.post(base + "/login", data={"csrf_token": token(http, base + "/login"),
                                            "email": email, "password": PASSWORD}, timeout=30)
    assert "Sign out" in done.text, f"could not sign in as {email}"
    return http


class Exporter(threading.Thread):
    """Keeps one export of a portfolio going, one after another, until stop()."""

    def __init__(self, base: str, portfolio: str):
        super().__init__(daemon=True)
        self.base, self.portfolio = base, portfolio
        self.http = signed_in(base, "assessor@demo.test")
        self.token = token(self.http, f"{base}/portfolios/{portfolio}")
        self.stopping, self.started = threading.Event(), threading.Event()
        self.took: list[float] = []
        self.failed, self.error = 0, None

    def run(self) -> None:
        try:
            while not self.stopping.is_set():
                begun = time.monotonic()
                job = self.http.post(f"{self.base}/portfolios/{self.portfolio}/export",
                                     data={"csrf_token": self.token}, allow_redirects=False,
                                     timeout=30).headers["Location"]
                while (status := self.http.get(self.base + job + "/status", timeout=30)
                       .json()["status"]) not in ("done", "failed"):
                    if status == "running":
                        self.started.set()
                    time.sleep(0.5)
                if status == "done":
                    self.took.append(time.monotonic() - begun)
                else:
                    self.failed += 1
        except Exception as exc:  # raised again by stop()
            self.error = exc
        finally:
            self.started.set()

    def stop(self) -> None:
        self.stopping.set()
        self.join()
        if self.error is not None:
            raise RuntimeError(f"the export loop failed: {self.error!r}")


def load(url: str, sessions: list[requests.Session], seconds: float):
    """Every session asks for `url` until `seconds` have passed: requests/s, latencies and
    errors."""
    latencies, errors = [], []
    deadline = time.monotonic() + seconds

    def client(http: requests.Session) -> None:
        while time.monotonic() < deadline:
            begun = time.perf_counter()
            try:
                status = http.get(url, timeout=60).status_code
            except requests.RequestException as exc:
                status = type(exc).__name__
            latencies.append(time.perf_counter() - begun)
            if status != 200:
                errors.append(status)

    threads = [threading.Thread(target=client, args=(s,)) for s in sessions]
    begun = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return len(latencies) / (time.monotonic() - begun), latencies, errors


def measure(server: dict, worker: int, condition: str, portfolio: str,
            sessions: list[requests.Session], seconds: float) -> dict:
    exporter = Exporter(server["base"], portfolio) if condition != "a" else None
    if exporter is not None:
        exporter.start()
        if not exporter.started.wait(120):
            raise RuntimeError(f"no export started on {server['base']} within 120 s")

    def cpu() -> tuple[float, ...]:
        return (cpu_seconds(server["pid"]), cpu_seconds(worker), time.process_time(),
                machine_cpu_seconds())

    before = cpu()
    rate, latencies, errors = load(f"{server['base']}/portfolios/{portfolio}", sessions,
                                   seconds)
    web, work, client, machine = (b - a for a, b in zip(before, cpu(), strict=True))
    if exporter is not None:
        exporter.stop()
    return {"rate": rate, "latencies": latencies, "errors": errors, "web": web, "work": work,
            "client": client, "machine": machine, "took": exporter.took if exporter else [],
            "failed": exporter.failed if exporter else 0}


def run(args) -> None:
    work = Path(tempfile.mkdtemp(prefix="portfolio-bench-serve-"))
    print(f"logs in {work}", flush=True)
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "STORAGE_URL")} | {
        "INSTANCE_PATH": str(work / "instance"), "EXPORT_DIR": str(work / "exports"),
        "SECRET_KEY": uuid.uuid4().hex, "DATABASE_URL": f"sqlite:///{work / 'bench.sqlite3'}"}
    name = f"portfolio_bench_{uuid.uuid4().hex[:8]}"
    if args.db == "postgres":
        psql(f'CREATE DATABASE "{name}"', check=True)
        env["DATABASE_URL"] = f"postgresql://postgres@127.0.0.1:5432/{name}"
    queue_db = redis.Redis.from_url(REDIS_URL)
    queue_db.flushdb()
    processes: list[subprocess.Popen] = []

    def start(command: list[str], label: str, queued: bool) -> int:
        with (work / f"{label}.log").open("wb") as out:
            processes.append(subprocess.Popen(  # noqa: S603
                command, cwd=ROOT, env=env | ({"REDIS_URL": REDIS_URL} if queued else {}),
                stdout=out, stderr=subprocess.STDOUT, start_new_session=True))
        return processes[-1].pid

    try:
        for command in (["init-db"], ["demo", "--password", PASSWORD]):
            subprocess.run([str(BIN / "flask"), "--app", "app", *command], cwd=ROOT,  # noqa: S603
                           env=env, check=True, capture_output=True)
        worker = start([str(BIN / "flask"), "--app", "app", "worker"], "worker", True)
        servers = {}
        for workers in (1, 4):
            for queued in (False, True):
                with socket.socket() as s:  # a free port
                    s.bind(("127.0.0.1", 0))
                    port = s.getsockname()[1]
                pid = start([str(BIN / "gunicorn"), "-c", str(ROOT / "deploy/gunicorn.conf.py"),
                             "--workers", str(workers), "--threads", "1", "--max-requests", "0",
                             "--bind", f"127.0.0.1:{port}", "portfolio:create_app()"],
                            f"web-{workers}{'-queued' if queued else ''}", queued)
                servers[workers, queued] = {"base": f"http://127.0.0.1:{port}", "pid": pid}
        for server in servers.values():
            wait_healthy(server["base"])
        first = servers[1, False]["base"]
        sessions = [signed_in(first, "assessor@demo.test") for _ in range(args.clients)]
        portfolio = re.search(r'href="/portfolios/(\d+)"', sessions[0].get(
            first + "/portfolios/", timeout=30).text).group(1)
        for server in servers.values():  # warm up (a session's cookie is good on every server)
            load(f"{server['base']}/portfolios/{portfolio}", sessions, 2)
        results: dict[tuple[int, str], list[dict]] = {}
        for round_ in range(1, args.rounds + 1):
            for workers in (1, 4):
                for condition in CONDITIONS:
                    got = measure(servers[workers, condition == "c"], worker, condition,
                                  portfolio, sessions, args.seconds)
                    results.setdefault((workers, condition), []).append(got)
                    print(f"round {round_}: {workers} worker(s), {condition}: "
                          f"{got['rate']:.1f} req/s {got['errors'][:5] or ''}", flush=True)
        report(results, args)
    finally:
        for process in processes:
            for pid in tree(process.pid):  # parents first: no master replaces a worker
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            process.wait()
        queue_db.flushdb()
        if args.db == "postgres":
            psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', check=False)


def wait_healthy(base: str, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if requests.get(base + "/healthz", timeout=5).status_code == 200:
                return
        except requests.RequestException:  # not listening yet
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{base} did not answer /healthz within {seconds} s")


def report(results: dict, args) -> None:
    print(f"\n{args.db}, {args.clients} clients, {args.rounds} rounds of {args.seconds:g} s "
          "(CPU: seconds in the window, medians)")
    print(f"{'workers':>7} {'condition':<19} {'req/s':>6} {'spread':>6} {'p50 ms':>6} "
          f"{'p95 ms':>6} {'web CPU':>7} {'worker':>6} {'client':>6} {'machine':>7} "
          f"{'exports':>7} {'export s':>8} {'errors':>6}")
    for (workers, condition), runs in results.items():
        rates = [r["rate"] for r in runs]
        ms = [x * 1000 for r in runs for x in r["latencies"]]
        took = [t for r in runs for t in r["took"]]
        cpu = {k: statistics.median(r[k] for r in runs) for k in ("web", "work", "client",
                                                                   "machine")}
        failed = sum(r["failed"] for r in runs)
        exports = "-" if condition == "a" else f"{len(took)}" + (f"+{failed}!" if failed else "")
        in_worker = f"{cpu['work']:.1f}" if condition == "c" else "-"
        print(f"{workers:>7} {condition + ': ' + CONDITIONS[condition]:<19} "
              f"{statistics.median(rates):>6.1f} "
              f"{(max(rates) - min(rates)) / statistics.median(rates):>6.0%} "
              f"{statistics.median(ms):>6.1f} {statistics.quantiles(ms, n=20)[18]:>6.1f} "
              f"{cpu['web']:>7.1f} {in_worker:>6} "
              f"{cpu['client']:>6.1f} {cpu['machine']:>7.1f} {exports:>7} "
              f"{statistics.median(took) if took else 0:>8.1f} "
              f"{sum(len(r['errors']) for r in runs):>6}")

    def ratio(top: tuple[int, str], bottom: tuple[int, str]) -> float:
        return statistics.median(t["rate"] / b["rate"] for t, b in zip(
            results[top], results[bottom], strict=True))

    print("\nratios of req/s (medians of the per-round ratios)")
    for workers in (1, 4):
        print(f"  {workers} worker(s): b/a {ratio((workers, 'b'), (workers, 'a')):.2f}   "
              f"c/a {ratio((workers, 'c'), (workers, 'a')):.2f}")
    print("  4 workers / 1: " + "   ".join(f"{c} {ratio((4, c), (1, c)):.2f}"
                                         for c in CONDITIONS))


def psql(sql: str, *, check: bool) -> bool:
    """One statement on 127.0.0.1's PostgreSQL as postgres; True if it succeeded."""
    return subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", sql],  # noqa: S603, S607
                          check=check, capture_output=True,
                          env=os.environ | {"PGCONNECT_TIMEOUT": "3"}).returncode == 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("postgres", "sqlite"))
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if args.db is None:
        args.db = "postgres" if shutil.which("psql") and psql("select 1", check=False) \
            else "sqlite"
    run(args)


if __name__ == "__main__":
    main()
