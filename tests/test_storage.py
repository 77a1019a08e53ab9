"""The evidence and export store on a real S3-compatible server (SeaweedFS, started by the
tests), and the same interface on local folders: written once, checked by hash when read,
served through the permission check with byte ranges, found by key; `flask store verify`;
two servers sharing one bucket and one database."""

from __future__ import annotations

import hashlib
import io
import uuid

import boto3
import pytest
from conftest import Browser
from sqlalchemy import select

from portfolio import create_app
from portfolio.blobs import Changed, LocalBlobs, Missing, S3Blobs
from portfolio.extensions import db as _db
from portfolio.models import Evidence, ExportJob
from portfolio.storage import EvidenceStore

PDF_TEXT = b"Dear Mr Hughes,\nThank you for your patience. " * 2000  # ~90 KB


@pytest.fixture
def storage_url(s3_server) -> str:
    """Every app in this module keeps its files in the bucket, under a prefix of its own."""
    return f"s3://portfolio/test-{uuid.uuid4().hex[:10]}"


def s3_client():
    return boto3.client("s3")


@pytest.fixture(params=["local", "s3"])
def store(request, tmp_path, s3_server):
    if request.param == "local":
        return EvidenceStore(tmp_path / "evidence")
    blobs = S3Blobs("portfolio", f"unit-{uuid.uuid4().hex[:8]}", tmp_path / "cache")
    return EvidenceStore(blobs, work=tmp_path / "work")


def _overwrite(store: EvidenceStore, key: str, data: bytes) -> None:
    """Change stored bytes behind the app's back (as a disk fault or an intruder would)."""
    if isinstance(store.blobs, LocalBlobs):
        path = store.blobs.file(key)
        path.chmod(0o640)
        path.write_bytes(data)
    else:
        s3_client().put_object(Bucket="portfolio", Key=f"{store.blobs.prefix}/{key}", Body=data)
        (store.blobs.cache / key).unlink(missing_ok=True)


def test_a_file_is_stored_once_under_its_hash_and_read_back_checked(store):
    data = b"The customer's letter.\n"
    sha = hashlib.sha256(data).hexdigest()
    for _ in range(2):  # the same bytes twice: stored once, no staged file left
        staged = store.stage(io.BytesIO(data), 1000)
        store.commit(staged)
        assert not staged.path.exists()
    assert store.exists(sha) and store.path(sha).read_bytes() == data
    assert list(store.blobs.keys()) == [store.key(sha)]
    other = store.stage(io.BytesIO(b"other"), 1000)
    with pytest.raises(Missing):
        store.path(other.sha256)  # staged is not stored
    store.discard(other)


def test_bytes_changed_in_the_store_are_never_served_as_the_original(store):
    data = b"Original witness statement.\n"
    staged = store.stage(io.BytesIO(data), 1000)
    store.commit(staged)
    _overwrite(store, store.key(staged.sha256), b"Forged witness statement.\n")
    with pytest.raises(Changed):
        store.path(staged.sha256)


def test_keys_cannot_leave_the_store(store):
    for bad in ("../../etc/passwd", "/etc/passwd", "a/../../b", ""):
        with pytest.raises(ValueError):
            store.blobs.exists(bad)
    with pytest.raises(ValueError):
        store.path("not-a-hash")


def test_a_repaired_pdf_copy_travels_with_the_original(store, tmp_path):
    copy = tmp_path / "copy.pdf"
    copy.write_bytes(b"%PDF-1.7 repaired")
    sha = hashlib.sha256(b"x").hexdigest()
    assert store.normalised(sha) is None
    store.put_normalised(sha, copy)
    assert store.normalised(sha).read_bytes() == b"%PDF-1.7 repaired" and not copy.exists()


# ---- the app on S3 --------------------------------------------------------------------------

def _upload(browser, portfolios, name="letter.txt", data=PDF_TEXT):
    url = f"/portfolios/{portfolios['own'].id}/evidence/new"
    return browser.submit(url, {"title": "Letter to Mr Hughes", "method": "product_evidence",
                                "dated": "2026-10-01", "context": "Contact centre",
                                "account_md": "I wrote back the same day.", "ai_answer": "no",
                                "files": [(io.BytesIO(data), name)]},
                          content_type="multipart/form-data")


def test_on_s3_an_upload_is_in_the_bucket_and_downloads_whole_or_in_ranges(
        app, db, client, browser, people, portfolios, tmp_path):
    browser.login(people["learner"])
    assert _upload(browser, portfolios).status_code == 302
    evidence = db.session.scalar(select(Evidence))
    f = evidence.files[0]
    store = app.extensions["evidence_store"]
    # In the bucket under its hash, and nowhere in the local evidence folder.
    body = s3_client().get_object(Bucket="portfolio", Key=f"{store.blobs.prefix}/"
                                                          f"{store.key(f.sha256)}")["Body"]
    assert body.read() == PDF_TEXT
    assert not (tmp_path / "evidence").exists() or not any((tmp_path / "evidence").rglob("*"))
    url = f"/evidence/{evidence.id}/files/{f.id}"
    with client.get(url) as whole:
        assert whole.status_code == 200 and whole.data == PDF_TEXT
        assert whole.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    with client.get(url, headers={"Range": "bytes=10-29"}) as part:
        assert part.status_code == 206 and part.data == PDF_TEXT[10:30]
        assert part.headers["Content-Range"] == f"bytes 10-29/{len(PDF_TEXT)}"
    stranger = Browser(app.test_client())
    stranger.login(people["other_learner"])
    assert stranger.client.get(url).status_code == 404  # the permission check is the same


def test_on_s3_a_missing_or_changed_file_is_a_clear_503_and_store_verify_names_it(
        app, db, client, browser, people, portfolios):
    browser.login(people["learner"])
    _upload(browser, portfolios)
    _upload(browser, portfolios, name="second.txt", data=b"The second letter.\n")
    first, second = (e.files[0] for e in db.session.scalars(select(Evidence).order_by(
        Evidence.id)))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["store", "verify"])
    assert result.exit_code == 0 and "2 evidence file(s) re-hashed" in result.output, \
        result.output
    store = app.extensions["evidence_store"]
    _overwrite(store, store.key(first.sha256), b"tampered")
    s3_client().delete_object(Bucket="portfolio",
                              Key=f"{store.blobs.prefix}/{store.key(second.sha256)}")
    (store.blobs.cache / store.key(second.sha256)).unlink(missing_ok=True)
    changed = client.get(f"/evidence/{first.evidence_id}/files/{first.id}")
    assert changed.status_code == 503 and "has changed in the evidence store" in changed.text
    missing = client.get(f"/evidence/{second.evidence_id}/files/{second.id}")
    assert missing.status_code == 503 and "missing from the evidence store" in missing.text
    result = runner.invoke(args=["store", "verify"])
    assert result.exit_code == 1
    assert f"CHANGED  {first.sha256}  “letter.txt” of evidence {first.evidence_id}" in \
        result.output
    assert f"MISSING  {second.sha256}  “second.txt”" in result.output


def test_on_s3_an_export_is_kept_by_key_and_the_pack_reuses_it(
        app, db, client, browser, people, portfolios, make_evidence):
    app.config["JOBS_BACKGROUND"] = False
    make_evidence(portfolios["own"], claims={"2.1": "accepted"})
    browser.login(people["assessor"])
    url = f"/portfolios/{portfolios['own'].id}"
    job_url = browser.submit(f"{url}/export", {}, form_url=url).headers["Location"]
    job = db.session.scalar(select(ExportJob))
    assert job.status == "done" and job.key.startswith(f"portfolio-{portfolios['own'].id}/")
    assert len(job.digest) == 64
    stored = s3_client().get_object(Bucket="portfolio",
                                    Key=f"{app.extensions['export_blobs'].prefix}/{job.key}")
    with client.get(f"{job_url}/pdf") as pdf:
        assert pdf.status_code == 200 and pdf.data == stored["Body"].read()
        assert pdf.data.startswith(b"%PDF")
    from portfolio.export.pack import signed_pdf
    from portfolio.models import utcnow

    again = signed_pdf(portfolios["own"], actor=people["iqa"], today=utcnow().date())
    assert again.key == job.key  # found by its key, not made again


def test_two_servers_share_one_bucket_and_one_database(app, db, client, browser, people,
                                                       portfolios, storage_url, tmp_path):
    """A file uploaded through one server downloads through the other (their caches and
    instance folders are their own)."""
    browser.login(people["learner"])
    _upload(browser, portfolios)
    evidence = db.session.scalar(select(Evidence))
    f = evidence.files[0]
    other = create_app({
        "TESTING": True, "SECRET_KEY": "test",
        "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
        "EVIDENCE_DIR": str(tmp_path / "b-evidence"), "EXPORT_DIR": str(tmp_path / "b-ex"),
        "STORAGE_URL": storage_url, "STORE_CACHE_DIR": str(tmp_path / "b-cache")},
        instance_path=str(tmp_path / "b-instance"))
    second = other.test_client()
    with second.session_transaction() as session:  # the same signed-in session cookie
        with client.session_transaction() as first:
            session.update(first)
    with second.get(f"/evidence/{evidence.id}/files/{f.id}") as response:
        assert response.status_code == 200 and response.data == PDF_TEXT
    assert (tmp_path / "b-cache" / "evidence" / other.extensions["evidence_store"].key(
        f.sha256)).read_bytes() == PDF_TEXT
    with other.app_context():
        _db.engine.dispose()


def test_healthz_says_when_the_bucket_cannot_be_reached(app, client):
    assert client.get("/healthz").get_json()["store"] == "ok"
    app.extensions["evidence_store"].blobs.bucket = "no-such-bucket"
    response = client.get("/healthz")
    assert response.status_code == 503 and response.get_json()["store"] == "failed"
