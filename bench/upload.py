"""Benchmark a 100 MB upload through the new-evidence form, to the S3 store and to the local
folder, with the memory the server's worker grows by.

    .venv/bin/python bench/upload.py              # 100 MB, 3 rounds
    .venv/bin/python bench/upload.py --mb 50 --rounds 5
    .venv/bin/python bench/upload.py --kind pdf   # a 100-page PDF of scanned-like pages

Two gunicorn servers (deploy/gunicorn.conf.py, --workers 1 --threads 1) on one SQLite demo
centre: one with STORAGE_URL=s3://portfolio/bench on SeaweedFS (tests/s3_server.py), one with
the local folder; MAX_UPLOAD_MB=110. Each round, on each in turn (s3, local, s3, local...),
the demo learner uploads a new file of `--mb` MiB (text: lines of text; pdf: one page per
MiB, each a picture of noise, which the sandbox repairs and normalises; a different first
line each time, so the store never has it already) as a product-evidence item, sent
from a multipart body on disk, then downloads it back. The VmRSS of the gunicorn worker (not
the master) and of its children (the sandbox that checks the file) are sampled every 20 ms.

Per store: the upload's wall time, the worker's RSS just before, its peak during the upload
and the growth (peak - before), the sandbox's peak (a separate process with its own limit,
PARSE_MEMORY_MB, that ends with the check), the download's wall time and RSS growth: medians of the
rounds (min-max); s3 / local ratios of the times (medians of the per-round ratios); the
worker's RSS when it first answered and at the end (what it kept). A growth near the file's
size would mean the file is held in memory. Checked each time (exit status 1 if not): the
form answers 302; on S3 the object is in the bucket under bench/evidence/<content key> with
the file's size; the download has the file's sha256.
"""

from __future__ import annotations

import argparse
import hashlib
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
from datetime import date
from pathlib import Path

import boto3
import requests
from botocore.exceptions import ClientError

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from s3_server import start as start_s3  # noqa: E402

BIN = Path(sys.executable).parent
PASSWORD = "bench-password-1"  # noqa: S105  (the demo's, in a throwaway database)
MB = 1024 * 1024
BOUNDARY = "bench-upload-" + uuid.uuid4().hex
LINES = "".join(
    f"{n:05d} Called Mrs Jones back about the delivery to 14 Rue de l'Église; refund of "
    "£12.50 agreed, café voucher sent, next step logged.\n" for n in range(8000)).encode()


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


def children_rss_mb(pid: int) -> float:
    """The VmRSS of a process's children (the sandbox that checks an upload), summed."""
    total, children = 0.0, []
    for task in Path(f"/proc/{pid}/task").glob("*"):  # whichever thread started them
        try:
            children += (task / "children").read_text().split()
        except OSError:
            pass  # the thread ended
    for child in children:
        try:
            total += rss_mb(int(child)) + children_rss_mb(int(child))
        except (OSError, RuntimeError):
            pass  # ended between the two reads
    return total


class Sampler(threading.Thread):
    """The peak VmRSS of one process, and of its children (the sandbox), read every 20 ms
    until stop()."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid, self.before = pid, rss_mb(pid)
        self.peak, self.stopping = self.before, threading.Event()
        self.child_peak = 0.0

    def run(self) -> None:
        while not self.stopping.wait(0.02):
            self.peak = max(self.peak, rss_mb(self.pid))
            self.child_peak = max(self.child_peak, children_rss_mb(self.pid))

    def stop(self) -> float:
        self.stopping.set()
        self.join()
        self.peak = max(self.peak, rss_mb(self.pid))
        return self.peak - self.before


def _text_chunks(mb: int, first: str):
    yield f"{first}\n".encode()
    for _ in range(max(1, round(mb * MB / len(LINES)))):
        yield LINES


def _pdf_chunks(mb: int, first: str):
    """A PDF of `mb` pages, each one 1 MiB greyscale picture of noise (incompressible, as a
    scan is), written as it goes: objects, then the cross-reference table."""
    pages = max(1, mb)
    offsets, size = [], 0

    def obj(number: int, body: bytes) -> bytes:
        nonlocal size
        offsets.append(size)
        out = f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
        size += len(out)
        return out

    head = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"
    size = len(head)
    yield head
    kids = " ".join(f"{3 + 3 * i} 0 R" for i in range(pages))
    yield obj(1, b"<< /Type /Catalog /Pages 2 0 R >>")
    yield obj(2, f"<< /Type /Pages /Count {pages} /Kids [{kids}] >>".encode())
    for i in range(pages):
        page, content, image = 3 + 3 * i, 4 + 3 * i, 5 + 3 * i
        yield obj(page, (f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents "
                         f"{content} 0 R /Resources << /XObject << /Im0 {image} 0 R >> >> >>"
                         ).encode())
        draw = f"q 595 0 0 842 0 0 cm /Im0 Do Q % {first} {i}".encode()
        yield obj(content, f"<< /Length {len(draw)} >>\nstream\n".encode() + draw
                  + b"\nendstream")
        pixels = os.urandom(MB)
        yield obj(image, (b"<< /Type /XObject /Subtype /Image /Width 1024 /Height 1024 "
                          b"/ColorSpace /DeviceGray /BitsPerComponent 8 /Length %d >>\nstream\n"
                          % len(pixels)) + pixels + b"\nendstream")
    xref = size
    table = [f"xref\n0 {len(offsets) + 1}\n0000000000 65535 f \n"]
    table += [f"{offset:010d} 00000 n \n" for offset in offsets]
    table.append(f"trailer\n<< /Size {len(offsets) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n"
                 "%%EOF\n")
    yield "".join(table).encode()


# What each kind is sent as: file name, Content-Type and the chunks of its body.
KINDS = {"text": ("call-log.txt", "text/plain", _text_chunks),
         "pdf": ("scanned-letters.pdf", "application/pdf", _pdf_chunks)}


def write_body(path: Path, fields: dict[str, str], kind: str, mb: int,
               first: str) -> tuple[str, int]:
    """A multipart/form-data body with the fields and one file of `kind` of about `mb` MB;
    returns the file's sha256 and size."""
    name, content_type, chunks = KINDS[kind]
    digest, size = hashlib.sha256(), 0
    with path.open("wb") as out:
        for key, value in fields.items():
            out.write(f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n'
                      f"{value}\r\n".encode())
        out.write(f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="files"; '
                  f'filename="{name}"\r\nContent-Type: {content_type}\r\n\r\n'.encode())
        for chunk in chunks(mb, first):
            digest.update(chunk)
            size += out.write(chunk)
        out.write(f"\r\n--{BOUNDARY}--\r\n".encode())
    return digest.hexdigest(), size


def upload_once(server: dict, http: requests.Session, portfolio: str, args, label: str,
                work: Path, s3_client) -> tuple[dict, list[str]]:
    """One upload and its download on one server: the figures and what failed."""
    new = f"{server['base']}/portfolios/{portfolio}/evidence/new"
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"',
                      http.get(new, timeout=30).text).group(1)
    body = work / "body.part"
    sha, size = write_body(body, {
        "csrf_token": token, "title": f"Call log ({label})", "method": "product_evidence",
        "dated": date.today().isoformat(), "context": "Contact centre, complaints desk",
        "account_md": "The whole month's call log, as exported."}, args.kind, args.mb,
        f"Upload {label} {uuid.uuid4().hex}")
    failures = []
    sampler = Sampler(server["worker"])
    sampler.start()
    begun = time.perf_counter()
    with body.open("rb") as fh:
        made = http.post(new, data=fh, allow_redirects=False, timeout=600, headers={
            "Content-Type": f"multipart/form-data; boundary={BOUNDARY}"})
    took, growth, before = time.perf_counter() - begun, sampler.stop(), sampler.before
    sandbox = sampler.child_peak
    body.unlink()
    if made.status_code != 302:
        return {}, [f"{label}: the form answered {made.status_code}: {made.text[-300:]!r}"]
    evidence = re.search(r"/evidence/(\d+)", made.headers["Location"]).group(1)
    if s3_client is not None:
        key = f"bench/evidence/{sha[:2]}/{sha[2:4]}/{sha}"
        try:
            stored = s3_client.head_object(Bucket="portfolio", Key=key)["ContentLength"]
        except ClientError as exc:
            stored = exc.response.get("Error", {}).get("Code", "an error")
        if stored != size:
            failures.append(f"{label}: {key} in the bucket: {stored} bytes, not {size}")
    link = re.search(rf'href="(/evidence/{evidence}/files/\d+)"', http.get(
        f"{server['base']}/evidence/{evidence}", timeout=30).text).group(1)
    sampler = Sampler(server["worker"])
    sampler.start()
    begun, back = time.perf_counter(), hashlib.sha256()
    with http.get(server["base"] + link, stream=True, timeout=600) as got:
        for chunk in got.iter_content(MB):
            back.update(chunk)
    fetched, fetch_growth = time.perf_counter() - begun, sampler.stop()
    if got.status_code != 200 or back.hexdigest() != sha:
        failures.append(f"{label}: the download answered {got.status_code} with sha256 "
                        f"{back.hexdigest()[:12]}, not {sha[:12]}")
    return {"took": took, "before": before, "peak": before + growth, "growth": growth,
            "sandbox": sandbox,
            "fetched": fetched, "fetch_growth": fetch_growth}, failures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--kind", choices=sorted(KINDS), default="text",
                        help="what is uploaded (default: a UTF-8 text file)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="portfolio-bench-upload-"))
    print(f"work folder and logs: {work} (removed at the end if all went well)", flush=True)
    env = os.environ | {"INSTANCE_PATH": str(work / "instance"), "SECRET_KEY": uuid.uuid4().hex,
                        "DATABASE_URL": f"sqlite:///{work / 'bench.sqlite3'}",
                        "EXPORT_DIR": str(work / "exports"), "MAX_UPLOAD_MB": "110"}
    for name in ("REDIS_URL", "STORAGE_URL"):
        env.pop(name, None)
    s3 = start_s3(work / "s3")
    processes: list[subprocess.Popen] = []
    failures: list[str] = []
    try:
        for command in (["init-db"], ["demo", "--password", PASSWORD]):
            subprocess.run([str(BIN / "flask"), "--app", "app", *command], cwd=ROOT,  # noqa: S603
                           env=env, check=True, capture_output=True)
        servers = {}
        for store, extra in (("s3", s3.env | {"STORAGE_URL": "s3://portfolio/bench"}),
                             ("local", {"EVIDENCE_DIR": str(work / "evidence")})):
            port = _free_port()
            with (work / f"web-{store}.log").open("wb") as out:
                processes.append(subprocess.Popen(  # noqa: S603
                    [str(BIN / "gunicorn"), "-c", str(ROOT / "deploy/gunicorn.conf.py"),
                     "--workers", "1", "--threads", "1", "--bind", f"127.0.0.1:{port}",
                     "portfolio:create_app()"], cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                    env=env | extra | {"STORE_CACHE_DIR": str(work / f"cache-{store}")},
                    start_new_session=True))
            servers[store] = {"base": f"http://127.0.0.1:{port}",
                              "worker": _worker_of(processes[-1].pid, f"http://127.0.0.1:{port}")}
            servers[store]["start_rss"] = rss_mb(servers[store]["worker"])
        http = requests.Session()
        base = servers["s3"]["base"]
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"',
                          http.get(base + "/login", timeout=30).text).group(1)
        done = http.post(base + "/login", data={"csrf_token": token, "password": PASSWORD,
                                                "email": "learner@demo.test"}, timeout=30)
        assert "Sign out" in done.text, "could not sign in as learner@demo.test"
        # A learner's list is their own portfolio: the page redirects to it.
        portfolio = re.search(r"/portfolios/(\d+)$", http.get(
            base + "/portfolios/", timeout=30).url).group(1)
        client = boto3.client("s3", endpoint_url=s3.endpoint,
                              aws_access_key_id=s3.env["AWS_ACCESS_KEY_ID"],
                              aws_secret_access_key=s3.env["AWS_SECRET_ACCESS_KEY"],
                              region_name=s3.env["AWS_DEFAULT_REGION"])
        results: dict[str, list[dict]] = {"s3": [], "local": []}
        for round_ in range(1, args.rounds + 1):
            for store, server in servers.items():
                got, failed = upload_once(server, http, portfolio, args,
                                          f"{store}-{round_}", work,
                                          client if store == "s3" else None)
                failures += failed
                if got:
                    results[store].append(got)
                    print(f"round {round_}, {store}: {got['took']:.1f} s, RSS "
                          f"{got['before']:.0f} -> {got['peak']:.0f} MB", flush=True)
        report(results, args)
        for store, server in servers.items():
            print(f"{store} worker RSS: {server['start_rss']:.0f} MB when it first answered, "
                  f"{rss_mb(server['worker']):.0f} MB after {len(results[store])} uploads and "
                  "downloads")
    finally:
        for process in processes:
            _kill_tree(process.pid)
            process.wait()
        s3.stop()
    for failure in failures:
        print(f"FAIL  {failure}")
    if failures:
        return 1
    shutil.rmtree(work)
    return 0


def report(results: dict[str, list[dict]], args) -> None:
    columns = (("upload s", "took", ".1f"), ("RSS before MB", "before", ".0f"),
               ("peak MB", "peak", ".0f"), ("growth MB", "growth", ".0f"),
               ("sandbox MB", "sandbox", ".0f"),
               ("download s", "fetched", ".1f"), ("growth MB", "fetch_growth", ".0f"))

    def cell(runs: list[dict], key: str, form: str) -> str:
        values = [r[key] for r in runs]
        return (f"{statistics.median(values):{form}} "
                f"({min(values):{form}}-{max(values):{form}})")

    print(f"\n{args.mb} MB {args.kind} file, {args.rounds} rounds; medians (min-max)")
    print(f"{'store':<6}" + "".join(f"{title:>16}" for title, _, _ in columns))
    for store, runs in results.items():
        if runs:
            print(f"{store:<6}" + "".join(f"{cell(runs, key, form):>16}"
                                          for _, key, form in columns))
    if results["s3"] and len(results["s3"]) == len(results["local"]):
        pairs = list(zip(results["s3"], results["local"], strict=True))
        print("s3 / local: " + "   ".join(
            f"{what} {statistics.median(s[key] / lo[key] for s, lo in pairs):.2f}"
            for what, key in (("upload s", "took"), ("download s", "fetched"))))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _worker_of(master: int, base: str, seconds: float = 90) -> int:
    """The pid of the gunicorn worker (the master's one child) once the server answers."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if requests.get(base + "/healthz", timeout=5).status_code == 200:
                return int(Path(f"/proc/{master}/task/{master}/children").read_text().split()[0])
        except requests.RequestException:  # not listening yet
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{base} did not answer /healthz within {seconds} s")


def _kill_tree(pid: int) -> None:
    """SIGKILL a process and everything it started, parents first."""
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        children = []
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    for child in children:
        _kill_tree(int(child))


if __name__ == "__main__":
    sys.exit(main())
