"""Hostile and broken files never stop the export, leak disk or hang the server.

Every file of the corpus (tests/hostile.py) is uploaded: it is accepted (and then exports) or
refused with a clear message, and nothing is left in staging. Files that reached a portfolio
before these checks (put straight into the store here) are rendered under the same limits at
export: the export finishes and marks what it could not render.
"""

import io
import os
import threading
import time
from datetime import date

import pytest
from hostile import (
    CORPUS,
    bad_rotate_pdf,
    bad_xref_pdf,
    docx_bomb,
    good_docx,
    good_email,
    good_pdf,
    huge_xref_pdf,
    kids_loop_pdf,
    looping_pdf,
    nested_email,
    no_mediabox_pdf,
    no_resources_pdf,
    wrong_length_pdf,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from portfolio import sandbox
from portfolio.errors import InvalidUpload
from portfolio.evidence.services import EvidenceFields, Upload, add_evidence, check_uploads
from portfolio.export import jobs
from portfolio.export.services import export_portfolio, verify_file
from portfolio.models import Evidence, EvidenceFile, ExportJob, utcnow
from portfolio.units import all_units
from portfolio.uploads import inspect

TODAY = date.today()
REPAIRABLE = [looping_pdf, no_resources_pdf, no_mediabox_pdf, bad_rotate_pdf, wrong_length_pdf,
              bad_xref_pdf, huge_xref_pdf]


@pytest.fixture
def store(app):
    return app.extensions["evidence_store"]


def upload(store, maker):
    name, data = maker()
    return check_uploads(store, [Upload(io.BytesIO(data), name)], 10 << 20)


def leftovers(store) -> list[str]:
    return sorted(p.name for p in store.staging.iterdir()) if store.staging.exists() else []


@pytest.mark.parametrize("maker", CORPUS, ids=lambda m: m.__name__)
def test_every_hostile_file_is_accepted_or_refused_clearly_and_leaves_nothing(store, maker):
    started = time.monotonic()
    try:
        checked = upload(store, maker)
    except InvalidUpload as exc:
        assert "“" in str(exc) and len(str(exc)) > 40  # names the file, says what to do
    else:
        for item in checked:
            store.discard(item.staged)
    assert leftovers(store) == []
    assert time.monotonic() - started < 40  # the budget (20 s), never a hang


def test_the_bombs_and_loops_that_cannot_be_repaired_are_refused_by_name(store):
    for maker, words in [(docx_bomb, "unpacks to"), (nested_email, "nested too deeply"),
                         (kids_loop_pdf, "Loop detected"), ]:
        with pytest.raises(InvalidUpload, match=words):
            upload(store, maker)
    assert leftovers(store) == []


@pytest.mark.parametrize("maker", REPAIRABLE, ids=lambda m: m.__name__)
def test_a_pdf_the_signer_would_refuse_is_repaired_and_kept_as_uploaded(store, maker):
    (item,) = upload(store, maker)
    original = item.staged.path.read_bytes()
    assert original == maker()[1]  # the original, byte for byte
    assert item.staged.normalised is not None and item.staged.normalised.exists()
    store.commit(item.staged)
    assert store.path(item.staged.sha256).read_bytes() == original
    assert store.normalised(item.staged.sha256).exists() and leftovers(store) == []


def _evidence_with(app, db, portfolio, learner, makers):
    store = app.extensions["evidence_store"]
    files = []
    for maker in makers:
        files += upload(store, maker)
    evidence = add_evidence(portfolio, all_units()["unit-40"],
                            EvidenceFields("Scanned letters", "product_evidence", TODAY, "",
                                           "The letters, as scanned."),
                            files, actor=learner, store=store, submission_key=None, today=TODAY)
    db.session.commit()
    return evidence


def test_a_portfolio_of_broken_but_repaired_pdfs_exports_signed(app, db, people, portfolios):
    own = portfolios["own"]
    _evidence_with(app, db, own, people["learner"], REPAIRABLE)
    data = export_portfolio(own, actor=people["learner"], today=TODAY).path.read_bytes()
    outline = [o.title for o in PdfReader(io.BytesIO(data)).outline if not isinstance(o, list)]
    assert "Appended PDF files" in outline
    verification, _, _ = verify_file(data)
    assert verification.ok


def _legacy_file(app, db, portfolio, learner, maker, mime):
    """A file that reached the portfolio before uploads were checked in the sandbox."""
    store = app.extensions["evidence_store"]
    name, data = maker()
    staged = store.stage(io.BytesIO(data), len(data) + 1)
    store.commit(staged)
    evidence = Evidence(portfolio_id=portfolio.id, title=f"Old upload {name}",
                        method="product_evidence", dated=TODAY, context="", account_md="",
                        author_id=learner.id)
    evidence.files.append(EvidenceFile(sha256=staged.sha256, filename=name, mime_type=mime,
                                       size=staged.size, uploaded_by_id=learner.id))
    db.session.add(evidence)
    db.session.commit()


def test_an_export_holding_the_looping_pdf_and_the_docx_bomb_finishes_with_them_marked(
        app, db, people, portfolios):
    own, learner = portfolios["own"], people["learner"]
    app.config["PARSE_SECONDS"] = 3
    _legacy_file(app, db, own, learner, looping_pdf, "application/pdf")
    _legacy_file(app, db, own, learner, kids_loop_pdf, "application/pdf")
    _legacy_file(app, db, own, learner, docx_bomb, "application/vnd.openxmlformats-"
                                                   "officedocument.wordprocessingml.document")
    _legacy_file(app, db, own, learner, nested_email, "message/rfc822")
    started = time.monotonic()
    path = export_portfolio(own, actor=learner, today=TODAY).path
    assert time.monotonic() - started < 90
    text = "\n".join(page.extract_text() for page in PdfReader(path).pages)
    assert "kids-loop.pdf” could not be rendered" in text
    assert "bomb.docx” could not be rendered" in text and "the original is attached" in text
    assert "nested.eml” could not be rendered" in text
    titles = []

    def walk(items):
        for item in items:
            walk(item) if isinstance(item, list) else titles.append(item.title)
    walk(PdfReader(path).outline)
    assert any(t.endswith("appendix: looping.pdf") for t in titles)  # repaired, appended
    assert not any(t.endswith("appendix: kids-loop.pdf") for t in titles)  # marked instead
    assert verify_file(path.read_bytes())[0].ok


def test_a_checker_that_crashes_leaves_no_staged_file(store, monkeypatch):
    def explode(*args):
        raise RuntimeError("parser crashed")
    monkeypatch.setattr("portfolio.uploads.run", explode)
    for maker in (good_pdf, good_docx, good_email):
        with pytest.raises(RuntimeError):
            upload(store, maker)
        assert leftovers(store) == []


def test_staged_files_older_than_an_hour_are_swept(store):
    store.staging.mkdir(parents=True, exist_ok=True)
    old, fresh = store.staging / "tmp-old", store.staging / "tmp-fresh"
    old.write_bytes(b"x")
    fresh.write_bytes(b"y")
    hour_ago = time.time() - 3700
    os.utime(old, (hour_ago, hour_ago))
    assert store.sweep() == 1
    assert leftovers(store) == ["tmp-fresh"]


def test_one_export_per_portfolio_and_the_next_waits_its_turn(app, db, client, browser, people,
                                                               portfolios, monkeypatch):
    app.config["JOBS_BACKGROUND"] = False
    started = []
    monkeypatch.setattr("portfolio.export.jobs.run", started.append)  # no PDF rendering
    own, learner = portfolios["own"], people["learner"]
    running = ExportJob(portfolio_id=own.id, requested_by_id=people["assessor"].id,
                        status="running", beat_at=utcnow())
    db.session.add(running)
    db.session.commit()
    assert jobs.start(own, learner).id == running.id  # joins the export being made
    app.config["EXPORTS_PER_PERSON"] = 1
    other = ExportJob(portfolio_id=portfolios["other"].id, requested_by_id=learner.id,
                      status="queued", beat_at=utcnow())
    db.session.add(other)
    running.status = "done"
    db.session.commit()
    waiting = jobs.start(own, learner)
    assert waiting.status == "waiting" and "Waiting for your other export" in waiting.step
    assert started == []  # it waits: nothing refused, nothing started
    browser.login(learner)
    page = client.get(f"/exports/{waiting.id}").text
    assert "Waiting for your other export or pack to finish" in page
    assert "starts by itself when its turn comes" in page
    other.status = "done"
    db.session.commit()
    assert jobs.refresh(waiting).status == "queued" and started == [waiting.id]


def test_eight_clicks_on_export_make_one_job(app, db, client, browser, people, portfolios):
    app.config["JOBS_BACKGROUND"] = True
    own = portfolios["own"]
    browser.login(people["learner"])
    token = browser.token(f"/portfolios/{own.id}")
    ids = set()
    for _ in range(8):
        response = client.post(f"/portfolios/{own.id}/export", data={"csrf_token": token})
        ids.add(response.headers["Location"])
    assert len(ids) <= 2  # one running; at most a second once the first has finished
    for thread in threading.enumerate():  # let the exports end before the database is emptied
        if "_in_app" in thread.name:
            thread.join(timeout=120)


def test_a_pack_that_fails_names_the_portfolio(app, db, people, portfolios, monkeypatch,
                                               tmp_path):
    from portfolio.export import pack

    def broken(portfolio, **kwargs):
        raise ValueError("signer refused a file")
    monkeypatch.setattr(pack, "signed_pdf", broken)
    with pytest.raises(RuntimeError, match="Learner's portfolio .unit-40, portfolio "
                                           r"\d+.: ValueError: signer refused a file"):
        pack.write_pack([portfolios["own"]], tmp_path / "p.zip", actor=people["iqa"],
                        units=all_units(), today=TODAY)


# ---- fuzzing the checkers and verify -------------------------------------------------------

SEED = good_pdf()[1]


@settings(max_examples=20, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.integers(0, len(SEED) - 1), st.integers(0, 255)),
                min_size=1, max_size=12))
def test_fuzz_a_mutated_pdf_is_a_verdict_never_a_crash(tmp_path, mutations):
    data = bytearray(SEED)
    for at, value in mutations:
        data[at] = value
    path = tmp_path / "fuzz.pdf"
    path.write_bytes(bytes(data))
    try:
        inspect(path, "fuzz.pdf", tmp_path / "fuzz.normalised.pdf")
    except InvalidUpload as exc:
        assert "fuzz.pdf" in str(exc)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=2048))
def test_fuzz_verify_gives_a_verdict_for_any_bytes(app, data):
    verification, portfolio, _ = verify_file(SEED[:20] + data)
    assert not verification.ok and verification.problem


def test_the_sandbox_refuses_work_past_its_budget(tmp_path):
    name, data = docx_bomb(paragraphs=200_000)
    path = tmp_path / name
    path.write_bytes(data)
    started = time.monotonic()
    with pytest.raises(sandbox.ParseFailed, match="longer than 1 seconds|allowance"):
        sandbox.DEFAULTS["PARSE_SECONDS"], before = 1, sandbox.DEFAULTS["PARSE_SECONDS"]
        try:
            sandbox.run("docx", path)
        finally:
            sandbox.DEFAULTS["PARSE_SECONDS"] = before
    assert time.monotonic() - started < 10
