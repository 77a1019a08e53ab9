"""Benchmark the portfolio PDF export: synthetic portfolios of 20, 40 and 80 evidence items,
or of N phone photos.

    .venv/bin/python bench/export.py                    # 20, 40, 80 items, 3 rounds
    .venv/bin/python bench/export.py 40 --runs 5
    .venv/bin/python bench/export.py --photos 40 --runs 3

Each portfolio is built once, in a temporary folder, by a process of its own (and exported
once there, so the centre's keys and the photos' print copies exist). Then, in each round,
every mode runs once, each in a fresh process (so its peak memory is its own), in an order
that rotates from round to round (a busy spell on this shared machine falls on every mode in
turn, not on one): `export` (the whole export: build + render + append + attach + sign, to
the export store), `bare` (a bare WeasyPrint render of the same HTML), `tagged` (the same
render as a tagged PDF, which the export must be), and with --photos `first` (the export of a
portfolio whose print copies are not made yet: the first export after upload). Each process
loads the fonts with a one-line render before it is timed, and reports the wall and CPU
seconds of the timed part (its own CPU and its sandboxed children's, getrusage) and its peak
memory (max RSS) as the timed part ends, before the PDF is read back to count its pages.

Printed per mode: medians and the spread (min-max) over the rounds of wall seconds, CPU
seconds and peak MB; the PDF's size; then the export's ratios to the bare and tagged renders
(medians of the per-round ratios, min-max). With --photos, the originals' total bytes and the
PDF's size as a multiple of them. `--photos` makes N camera-like 3000x2000 JPEGs (gradients
and noise, 2-3 MB each) once and keeps them in the system's temporary folder.
Aims: ratio to a bare render at most 1.3 (issue 5); with 40 photos, a PDF under twice the
originals and peak memory under 400 MB.
"""

from __future__ import annotations

import argparse
import io
import json
import resource
import shutil
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


def build_portfolio(app, files_per_item: list[list[tuple[str, bytes]]]):
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
    for i, item_files in enumerate(files_per_item):
        files = check_uploads(store, [Upload(io.BytesIO(b), n) for n, b in item_files],
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


PHOTO_SIZE = (3000, 2000)
PHOTO_CACHE = Path(tempfile.gettempdir()) / "portfolio-bench-photos"


def camera_photo(i: int) -> bytes:
    """A 3000x2000 JPEG with what a camera gives a compressor: gradients, grain, detail. Made
    once per index and kept (about a second each)."""
    path = PHOTO_CACHE / f"photo-{PHOTO_SIZE[0]}x{PHOTO_SIZE[1]}-{i}.jpg"
    if path.is_file():
        return path.read_bytes()
    import random

    from PIL import Image, ImageChops

    rnd = random.Random(i)
    width, height = PHOTO_SIZE
    bands = [ImageChops.add(Image.blend(
        Image.linear_gradient("L").rotate(rnd.randrange(360)).resize((width, height)),
        Image.effect_noise((width // 2, height // 2), 40 + 10 * c).resize((width, height)),
        0.45), Image.effect_noise((width, height), 12), offset=-20) for c in range(3)]
    exif = Image.Exif()
    exif[0x0112] = 6 if i % 3 == 0 else 1  # a third taken upright (turned by EXIF)
    out = io.BytesIO()
    Image.merge("RGB", bands).save(out, "JPEG", quality=90, exif=exif.tobytes())
    PHOTO_CACHE.mkdir(parents=True, exist_ok=True)
    part = path.with_suffix(".part")
    part.write_bytes(out.getvalue())
    part.replace(path)
    return out.getvalue()


def _app(folder: Path):
    from portfolio import create_app

    return create_app({"SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI":
                       f"sqlite:///{folder / 'bench.sqlite3'}", "EVIDENCE_DIR": str(folder / "ev"),
                       "EXPORT_DIR": str(folder / "exports")},
                      instance_path=str(folder / "instance"))


def prepare(folder: Path, items: int, photos: int) -> dict:
    """Build the portfolio in `folder` and export it once; returns the originals' bytes."""
    from sqlalchemy import select

    from portfolio.export.services import export_portfolio
    from portfolio.extensions import db
    from portfolio.models import EvidenceFile

    app = _app(folder)
    with app.app_context(), app.test_request_context():
        db.create_all()
        if photos:
            files = [[(f"photo-{i}.jpg", camera_photo(i))] for i in range(photos)]
        else:
            files = [_files_for(i) for i in range(items)]
        portfolio = build_portfolio(app, files)
        export_portfolio(portfolio, actor=None, today=date.today())
        db.session.commit()
        return {"portfolio": portfolio.id, "originals": sum(
            f.size for f in db.session.scalars(select(EvidenceFile)))}


def measure(folder: Path, portfolio_id: int, mode: str) -> dict:
    """One timed run of `mode` on the prepared portfolio; runs in its own process."""
    import pikepdf
    import weasyprint

    from portfolio.export.document import build
    from portfolio.export.fetcher import PortfolioFetcher
    from portfolio.export.services import export_portfolio, keys, stylesheet
    from portfolio.extensions import db
    from portfolio.models import Portfolio
    from portfolio.units import unit_for

    app = _app(folder)
    with app.app_context(), app.test_request_context():
        portfolio = db.session.get(Portfolio, portfolio_id)
        keys()
        weasyprint.HTML(string="<p>fonts</p>").write_pdf()  # fontconfig, once per process
        if mode == "first":
            shutil.rmtree(folder / "ev" / "print", ignore_errors=True)
        doc = None
        if mode in ("bare", "tagged"):
            doc = build(portfolio, unit_for(portfolio), today=date.today(),  # as the export does
                        store=app.extensions["evidence_store"])
        wall, cpu = time.perf_counter(), _cpu()
        if doc is None:
            path = export_portfolio(portfolio, actor=None, today=date.today()).path
        else:
            fetcher = PortfolioFetcher(stylesheet=stylesheet(), files=doc.files)
            path = folder / f"{mode}.pdf"
            weasyprint.HTML(string=doc.html, base_url="portfolio:", url_fetcher=fetcher
                            ).write_pdf(path, pdf_tags=mode == "tagged")
        wall, cpu = time.perf_counter() - wall, _cpu() - cpu
        # The high-water mark now, before anything reads the PDF back.
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        db.session.rollback()
        with pikepdf.open(path) as pdf:  # qpdf reads what it needs, not the whole file
            pages = len(pdf.pages)
    return {"wall": wall, "cpu": cpu, "peak": peak, "pages": pages,
            "bytes": path.stat().st_size}


def _cpu() -> float:
    """CPU seconds of this process and of its finished children (the sandboxed parsers)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _child(*args: str) -> dict:
    """Run this script with `args` in a fresh process; its JSON answer."""
    done = subprocess.run([sys.executable, __file__, *args],  # noqa: S603
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{args}: exit {done.returncode}\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _spread(values: list[float], form: str) -> str:
    return (f"{statistics.median(values):{form}} ({min(values):{form}}-"
            f"{max(values):{form}})")


def run_config(label: str, items: int, photos: int, runs: int) -> None:
    modes = ["export", "bare", "tagged"] + (["first"] if photos else [])
    with tempfile.TemporaryDirectory(prefix="bench-export-") as tmp:
        ready = _child("--prepare", tmp, str(items), str(photos))
        results: dict[str, list[dict]] = {m: [] for m in modes}
        for round_ in range(runs):
            shift = round_ % len(modes)
            for mode in modes[shift:] + modes[:shift]:
                results[mode].append(_child("--one", tmp, str(ready["portfolio"]), mode))
    print(f"\n{label}: {runs} rounds; medians (min-max)")
    print(f"{'mode':<7} {'pages':>5} {'wall s':>18} {'CPU s':>18} {'peak MB':>15} "
          f"{'PDF MB':>7}")
    for mode in modes:
        r = results[mode]
        print(f"{mode:<7} {r[0]['pages']:>5} {_spread([x['wall'] for x in r], '.2f'):>18} "
              f"{_spread([x['cpu'] for x in r], '.2f'):>18} "
              f"{_spread([x['peak'] for x in r], '.0f'):>15} {r[0]['bytes'] / 1e6:>7.1f}")
    for other in ("bare", "tagged"):
        for key, what in (("wall", "wall"), ("cpu", "CPU")):
            ratios = [e[key] / o[key] for e, o in zip(results["export"], results[other],
                                                      strict=True)]
            print(f"export / {other} ({what}): {_spread(ratios, '.2f')}")
    if photos:
        pdf = results["export"][0]["bytes"]
        print(f"originals {ready['originals'] / 1e6:.1f} MB, PDF {pdf / 1e6:.1f} MB, "
              f"PDF / originals {pdf / ready['originals']:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int)
    parser.add_argument("--photos", type=int, default=0, help="a portfolio of N phone photos")
    parser.add_argument("--runs", type=int, default=3, help="rounds (each mode once a round)")
    parser.add_argument("--prepare", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--one", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.prepare:
        folder, items, photos = args.prepare
        print(json.dumps(prepare(Path(folder), int(items), int(photos))))
        return
    if args.one:
        folder, portfolio_id, mode = args.one
        print(json.dumps(measure(Path(folder), int(portfolio_id), mode)))
        return
    sizes = args.sizes or ([] if args.photos else [20, 40, 80])
    for size in sizes:
        run_config(f"{size} items", size, 0, args.runs)
    if args.photos:
        run_config(f"{args.photos} photos of {PHOTO_SIZE[0]}x{PHOTO_SIZE[1]}", args.photos,
                   args.photos, args.runs)


if __name__ == "__main__":
    main()
