"""Benchmark the portfolio PDF export: synthetic portfolios of 20, 40 and 80 evidence items.

    .venv/bin/python bench/export.py            # 20, 40, 80 items, 3 runs each
    .venv/bin/python bench/export.py 40 --runs 5

For each size, in a fresh process (so peak memory is that export's own): pages, seconds for
the whole export (build + render + append + attach + sign), seconds for a bare WeasyPrint
render of the same HTML and their ratio, seconds for the same render as a tagged PDF and the
export's ratio to that, and peak memory (max RSS). Times are medians of the runs.
Machines here are shared and noisy: compare the ratio within one run rather than raw seconds.
Aims (issue 5): ratio at most 1.3, time growing linearly, peak memory under 400 MB at 40 items.
"""

from __future__ import annotations

import argparse
import io
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PARAGRAPH = ("I listened to the customer without interrupting, then said back what I had heard: "
             "the order had arrived late, the box was damaged and nobody had called back. I "
             "apologised, explained what had gone wrong and what I would do next, and agreed a "
             "replacement within my authority. ")
CRITERIA = ["1.1", "1.2", "1.3", "1.4", "1.5", "1.6", "1.7", "1.8", "2.1", "2.2", "2.3", "2.4",
            "2.5", "2.6", "2.7", "2.8", "2.9"]


def _files_for(i: int):
    from email.message import EmailMessage

    from PIL import Image
    from pypdf import PdfWriter

    if i % 10 == 0:
        writer = PdfWriter()
        for _ in range(2):
            writer.add_blank_page(width=595, height=842)
        out = io.BytesIO()
        writer.write(out)
        return [(f"letter-{i}.pdf", out.getvalue())]
    if i % 4 == 1:
        out = io.BytesIO()
        Image.new("RGB", (1200, 800), (20 + i % 200, 60, 120)).save(out, "JPEG", quality=80)
        return [(f"photo-{i}.jpg", out.getvalue())]
    if i % 4 == 2:
        msg = EmailMessage()
        msg["From"], msg["To"] = "adviser@example.com", "customer@example.com"
        msg["Subject"] = f"Your complaint ref {1000 + i}"
        msg.set_content("Dear customer,\n\n" + PARAGRAPH * 3 + "\n\nKind regards\n")
        return [(f"email-{i}.eml", bytes(msg))]
    if i % 4 == 3:
        rows = "ref,opened,channel,outcome\n" + "".join(
            f"C-{i}-{r},Mon,phone,resolved\n" for r in range(15))
        return [(f"log-{i}.csv", rows.encode())]
    return []


def build_portfolio(app, items: int):
    from portfolio.assessment.services import record_decision
    from portfolio.evidence.services import (
        EvidenceFields,
        Upload,
        add_evidence,
        check_uploads,
        set_claims,
    )
    from portfolio.extensions import db
    from portfolio.models import Portfolio, Role, User
    from portfolio.units import all_units

    unit = all_units()["unit-40"]
    store = app.extensions["evidence_store"]
    people = {}
    for role in (Role.LEARNER, Role.ASSESSOR, Role.IQA):
        people[role] = User(email=f"{role.value}@bench.test", name=f"Bench {role.value}",
                            role=role.value, password_hash="!")  # noqa: S106  (no login)
        db.session.add(people[role])
    db.session.flush()
    portfolio = Portfolio(learner_id=people[Role.LEARNER].id, unit_id=unit.id,
                          assessor_id=people[Role.ASSESSOR].id, iqa_id=people[Role.IQA].id)
    db.session.add(portfolio)
    db.session.flush()
    for i in range(items):
        files = check_uploads(store, [Upload(io.BytesIO(b), n) for n, b in _files_for(i)],
                              app.config["MAX_UPLOAD_BYTES"])
        method = "reflective_account" if i % 3 == 0 else "product_evidence"
        evidence = add_evidence(
            portfolio, unit,
            EvidenceFields(f"Complaint {i}: late delivery", method,
                           date.today() - timedelta(days=i), "Contact centre, complaints desk.",
                           "\n\n".join(PARAGRAPH for _ in range(3 + i % 4))),
            files, actor=people[Role.LEARNER], store=store, submission_key=None,
            today=date.today())
        chosen = {c: f"Paragraph {1 + n}." for n, c in enumerate(CRITERIA[i % 17:i % 17 + 3])}
        set_claims(evidence, unit, chosen, actor=people[Role.LEARNER])
        for claim in evidence.claims:
            record_decision(claim, "accepted", "", assessor=people[Role.ASSESSOR],
                            tell_learner=False)
    db.session.commit()
    return portfolio


def measure(items: int) -> dict:
    """One export of a fresh synthetic portfolio; runs in its own process."""
    import weasyprint
    from pypdf import PdfReader

    from portfolio import create_app
    from portfolio.export.document import build
    from portfolio.export.fetcher import PortfolioFetcher
    from portfolio.export.services import export_portfolio, stylesheet
    from portfolio.extensions import db
    from portfolio.units import get_unit

    tmp = Path(tempfile.mkdtemp())
    app = create_app({"SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI":
                      f"sqlite:///{tmp / 'bench.sqlite3'}", "EVIDENCE_DIR": str(tmp / "ev"),
                      "EXPORT_DIR": str(tmp / "exports")}, instance_path=str(tmp / "instance"))
    with app.app_context(), app.test_request_context():
        db.create_all()
        portfolio = build_portfolio(app, items)
        export_portfolio(portfolio, actor=None, today=date.today())  # warm: fonts, keys
        db.session.rollback()
        start = time.perf_counter()
        path, _ = export_portfolio(portfolio, actor=None, today=date.today())
        whole = time.perf_counter() - start
        db.session.rollback()
        doc = build(portfolio, get_unit(portfolio.unit_id), today=date.today(),
                    store=app.extensions["evidence_store"])
        fetcher = PortfolioFetcher(stylesheet=stylesheet(), files=doc.files)
        start = time.perf_counter()
        weasyprint.HTML(string=doc.html, base_url="portfolio:", url_fetcher=fetcher).write_pdf()
        bare = time.perf_counter() - start
        # The same render with a tagged PDF (which the export must be, for accessibility).
        fetcher = PortfolioFetcher(stylesheet=stylesheet(), files=doc.files)
        start = time.perf_counter()
        weasyprint.HTML(string=doc.html, base_url="portfolio:", url_fetcher=fetcher).write_pdf(
            pdf_tags=True)
        tagged = time.perf_counter() - start
        pages = len(PdfReader(path).pages)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"items": items, "pages": pages, "whole": whole, "bare": bare, "tagged": tagged,
            "peak_mb": peak_mb,
            "bytes": path.stat().st_size}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[20, 40, 80])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one)))
        return
    print(f"{'items':>5} {'pages':>5} {'export s':>9} {'bare s':>7} {'ratio':>6} "
          f"{'tagged s':>9} {'ratio':>6} {'peak MB':>8} {'PDF MB':>7}")
    for size in args.sizes:
        runs = []
        for _ in range(args.runs):
            out = subprocess.run([sys.executable, __file__, "--one", str(size)],  # noqa: S603
                                 capture_output=True, text=True, check=True)
            runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
        whole = statistics.median(r["whole"] for r in runs)
        bare = statistics.median(r["bare"] for r in runs)
        ratio = statistics.median(r["whole"] / r["bare"] for r in runs)
        tagged = statistics.median(r["tagged"] for r in runs)
        tagged_ratio = statistics.median(r["whole"] / r["tagged"] for r in runs)
        peak = max(r["peak_mb"] for r in runs)
        print(f"{size:>5} {runs[0]['pages']:>5} {whole:>9.2f} {bare:>7.2f} {ratio:>6.2f} "
              f"{tagged:>9.2f} {tagged_ratio:>6.2f} {peak:>8.0f} "
              f"{runs[0]['bytes'] / 1e6:>7.1f}", flush=True)


if __name__ == "__main__":
    main()
