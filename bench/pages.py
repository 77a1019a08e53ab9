"""Benchmark the assessor's caseload page and a portfolio page: centres of 50 and 500 learners.

    .venv/bin/python bench/pages.py                      # 50 and 500 learners, 7 runs, both dbs
    .venv/bin/python bench/pages.py --sizes 50 500 --runs 7 --db sqlite postgres
    .venv/bin/python bench/pages.py --db postgres --postgres postgresql://user@host/postgres

Each (database, size) gets a fresh database (SQLite in a temporary folder; PostgreSQL a new
`bench_pages_<pid>_<size>` database, dropped at the end) holding one centre: every learner on
one assessor and one IQA, each with a Unit 40 portfolio of 6-10 evidence items with 1-3 claims
each, the older items judged (some referred), the newest two awaiting. The PostgreSQL server
is --postgres, else TEST_DATABASE_URL, else what scripts/postgres prints; unreachable, it is
left out. Signed in as the assessor through the Flask test client, in-process, it warms each
page once, then times N runs of `caseload` (/portfolios/, all the learners) and `portfolio`
(/portfolios/<id>, the first learner's, the same data at every size), interleaved: per run
each page at each size, the order of sizes alternating between runs.

Per page and size: the median and min-max of wall time and of CPU time (time.process_time) in
ms, and the SQL statements per request (a before_cursor_execute listener on the engine). Then
the ratio of the larger centre to the smallest, per run, median: time should grow with what the
page shows (caseload: every learner; portfolio: nothing), queries should not grow at all, so
"N+1" is printed where they do. Machines here are shared: trust ratios more than raw ms.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack, contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CRITERIA = ["1.1", "1.2", "1.3", "1.4", "1.5", "1.6", "1.7", "1.8", "2.1", "2.2", "2.3", "2.4",
            "2.5", "2.6", "2.7", "2.8", "2.9"]
ACCOUNT = ("I listened to the customer without interrupting, then said back what I had heard: "
           "the order had arrived late and nobody had called back. I apologised, explained what "
           "had gone wrong and agreed a replacement within my authority.\n\n") * 3
ASSESSOR = "assessor@bench.test"
PASSWORD = "bench pages password"  # noqa: S105  (a throwaway database)
PAGES = ("caseload", "portfolio", "iqa plan", "admin list")
# Who opens each page: the assessor their caseload and a portfolio, the IQA their sampling
# plan, the admin every portfolio.
WHO = {"caseload": ASSESSOR, "portfolio": ASSESSOR, "iqa plan": "iqa@bench.test",
       "admin list": "admin@bench.test"}


def _item(portfolio, i: int, k: int, items: int, assessor_id: int):
    """Learner i's item k: 1-3 claims, judged unless it is one of the two newest; every
    seventh decision referred; an emailed file (its row only: the pages never read it) on odd
    items."""
    from portfolio.evidence.versions import snapshot
    from portfolio.models import Claim, Decision, Evidence, EvidenceFile, EvidenceVersion

    learner = portfolio.learner_id
    evidence = Evidence(portfolio_id=portfolio.id, title=f"Complaint {k + 1}: late delivery",
                        method="reflective_account" if k % 3 == 0 else "product_evidence",
                        dated=date.today() - timedelta(days=7 * (items - k) + i % 7),
                        context="Contact centre, complaints desk.", account_md=ACCOUNT,
                        author_id=learner)
    if k % 2:
        evidence.files.append(EvidenceFile(
            sha256=hashlib.sha256(f"{i}-{k}".encode()).hexdigest(), filename=f"email-{k}.eml",
            mime_type="message/rfc822", size=2048, uploaded_by_id=learner))
    for n in range(1 + (i + k) % 3):
        claim = Claim(criterion_id=CRITERIA[(i + 3 * k + n) % len(CRITERIA)],
                      rationale=f"Paragraph {n + 1}.", created_by_id=learner)
        evidence.claims.append(claim)
        if k < items - 2:
            referred = (i + k + n) % 7 == 0
            claim.decisions.append(Decision(
                outcome="referred" if referred else "accepted", assessor_id=assessor_id,
                feedback="Say more about the cause." if referred else ""))
    evidence.versions.append(EvidenceVersion(number=1, saved_by_id=learner,
                                             content_json=json.dumps(snapshot(evidence))))
    return evidence


def build_centre(app, learners: int) -> int:
    """Create the schema and the centre in one commit; return the measured portfolio's id."""
    from werkzeug.security import generate_password_hash

    from portfolio.audit import AuditAction
    from portfolio.extensions import db
    from portfolio.models import AuditEvent, Portfolio, Role, User
    from portfolio.units import all_units, store_version

    with app.app_context():
        db.create_all()
        unit = all_units()["unit-40"]
        store_version(unit)
        assessor = User(email=ASSESSOR, name="Bench Assessor", role=Role.ASSESSOR.value,
                        password_hash=generate_password_hash(PASSWORD))
        admin = User(email="admin@bench.test", name="Bench Admin", role=Role.ADMIN.value,
                     password_hash=generate_password_hash(PASSWORD))
        iqa = User(email="iqa@bench.test", name="Bench IQA", role=Role.IQA.value,
                   password_hash=generate_password_hash(PASSWORD))
        people = [User(email=f"learner{i}@bench.test", name=f"Learner {i:03d}",
                       role=Role.LEARNER.value, password_hash="!")  # noqa: S106
                  for i in range(learners)]
        db.session.add_all([assessor, admin, iqa, *people])
        db.session.flush()
        portfolios = [Portfolio(learner_id=p.id, unit_id=unit.id, unit_version=unit.version,
                                assessor_id=assessor.id, iqa_id=iqa.id) for p in people]
        db.session.add_all(portfolios)
        db.session.flush()
        now = datetime.now(UTC)
        for i, portfolio in enumerate(portfolios):
            items = 6 + i % 5
            for k in range(items):
                db.session.add(_item(portfolio, i, k, items, assessor.id))
                db.session.add(AuditEvent(
                    portfolio_id=portfolio.id, actor_id=portfolio.learner_id,
                    action=AuditAction.EVIDENCE_ADDED.value, summary=f"Item {k + 1}",
                    created_at=now - timedelta(days=7 * (items - k) + i % 7)))
        db.session.commit()
        return portfolios[0].id


class Site:
    """One (database, size): its app and data, the assessor signed in, a query counter."""

    def __init__(self, url: str, learners: int, folder: Path):
        from sqlalchemy import event

        from portfolio import create_app
        from portfolio.extensions import db

        self.learners, self.queries = learners, 0
        self.app = create_app({
            "SECRET_KEY": "bench", "SECRET_KEY_GENERATED": False, "SQLALCHEMY_DATABASE_URI": url,
            "EVIDENCE_DIR": str(folder / "evidence"), "EXPORT_DIR": str(folder / "exports"),
            "WTF_CSRF_ENABLED": False,  # signing in by a plain POST
        }, instance_path=str(folder / "instance"))
        start = time.perf_counter()
        portfolio_id = build_centre(self.app, learners)
        self.build_s = time.perf_counter() - start
        with self.app.app_context():
            self.engine = db.engine
        event.listen(self.engine, "before_cursor_execute", self._count)
        self.urls = {"caseload": "/portfolios/", "portfolio": f"/portfolios/{portfolio_id}",
                     "iqa plan": "/quality/", "admin list": "/portfolios/"}
        self.clients = {}
        for email in set(WHO.values()):
            client = self.clients[email] = self.app.test_client()
            signed_in = client.post("/login", data={"email": email, "password": PASSWORD})
            assert signed_in.status_code == 302, f"sign-in failed ({signed_in.status_code})"
        listed = self.clients[ASSESSOR].get("/portfolios/").text
        assert f"{learners} portfolios" in listed, f"the caseload does not count {learners}"
        for page in PAGES:  # warm: templates compiled, caches filled, summaries written
            self.clients[WHO[page]].get(self.urls[page])

    def _count(self, *_args) -> None:
        self.queries += 1

    def get(self, page: str) -> tuple[float, float, int]:
        """One request: wall ms, CPU ms, SQL statements."""
        self.queries = 0
        wall, cpu = time.perf_counter(), time.process_time()
        response = self.clients[WHO[page]].get(self.urls[page])
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        assert response.status_code == 200, f"{page}: {response.status_code}"
        return wall * 1000, cpu * 1000, self.queries

    def close(self) -> None:
        self.engine.dispose()


def find_postgres(given: str | None) -> str | None:
    """The server's URL (--postgres, TEST_DATABASE_URL, scripts/postgres), or None if none
    answers."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import OperationalError

    from portfolio.config import database_url

    url = given or os.environ.get("TEST_DATABASE_URL")
    if not url:
        found = subprocess.run(["bash", str(ROOT / "scripts" / "postgres")],  # noqa: S603,S607
                               capture_output=True, text=True, check=False)
        if found.returncode != 0:
            print(f"PostgreSQL: none found ({found.stderr.strip()}); SQLite only.")
            return None
        url = found.stdout.strip().splitlines()[-1]
    url = database_url(url)
    engine = create_engine(url, connect_args={"connect_timeout": 5})
    try:
        with engine.connect() as conn:
            conn.execute(text("select 1"))
    except OperationalError as exc:
        print(f"PostgreSQL: cannot reach {url} ({exc.orig}); SQLite only.")
        return None
    finally:
        engine.dispose()
    return url


@contextmanager
def fresh_postgres(server: str, name: str):
    """A new database on the server, dropped on the way out; yields its URL."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    base = make_url(server)
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def measure(sites: list[Site], runs: int) -> dict:
    """runs x (page x size) requests, sizes in alternating order; {(page, learners): [...]}."""
    samples = {(page, s.learners): [] for page in PAGES for s in sites}
    for run in range(runs):
        for page in PAGES:
            for site in sites if run % 2 == 0 else reversed(sites):
                samples[page, site.learners].append(site.get(page))
    return samples


def _spread(values: list[float]) -> str:
    return f"{min(values):.1f}-{max(values):.1f}"


def report(database: str, sites: list[Site], samples: dict) -> None:
    for page in PAGES:
        for site in sites:
            wall, cpu, queries = zip(*samples[page, site.learners], strict=True)
            count = (f"{queries[0]}" if len(set(queries)) == 1
                     else f"{min(queries)}-{max(queries)}")
            print(f"{database:<9} {site.learners:>8} {page:<10} {statistics.median(wall):>8.1f} "
                  f"{_spread(wall):>13} {statistics.median(cpu):>8.1f} {_spread(cpu):>13} "
                  f"{count:>8}")
        small = samples[page, sites[0].learners]
        for site in sites[1:]:
            large = samples[page, site.learners]
            wall = statistics.median(b[0] / a[0] for a, b in zip(small, large, strict=True))
            cpu = statistics.median(b[1] / a[1] for a, b in zip(small, large, strict=True))
            few, many = small[-1][2], large[-1][2]
            grows = f"  N+1: queries grow with learners ({few} -> {many})" if many > few else ""
            print(f"{'':<9} {f'{site.learners}/{sites[0].learners}':>8} {page:<10} "
                  f"wall x{wall:.2f}  cpu x{cpu:.2f}  queries x{many / few:.2f}{grows}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", type=int, default=[50, 500])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--db", nargs="+", choices=["sqlite", "postgres"],
                        default=["sqlite", "postgres"])
    parser.add_argument("--postgres", metavar="URL", help="a PostgreSQL server to use")
    args = parser.parse_args()
    sizes = sorted(set(args.sizes))
    for database in args.db:
        server = find_postgres(args.postgres) if database == "postgres" else None
        if database == "postgres" and server is None:
            continue
        with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
            sites = []
            for n in sizes:
                folder = Path(tmp) / str(n)
                url = (stack.enter_context(fresh_postgres(server, f"bench_pages_{os.getpid()}_{n}"))
                       if server else f"sqlite:///{folder / 'bench.sqlite3'}")
                sites.append(Site(url, n, folder))
                stack.callback(sites[-1].close)
            print(f"{database}: built " + ", ".join(
                f"{s.learners} learners in {s.build_s:.1f} s" for s in sites))
            print(f"{'database':<9} {'learners':>8} {'page':<10} {'wall ms':>8} {'min-max':>13} "
                  f"{'cpu ms':>8} {'min-max':>13} {'queries':>8}", flush=True)
            report(database, sites, measure(sites, args.runs))


if __name__ == "__main__":
    main()
