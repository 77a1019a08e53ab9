"""Uploads are accepted by content, size-limited, and stored by hash."""

import hashlib
import io
import zipfile
from email.message import EmailMessage

import pytest
from PIL import Image

from portfolio.errors import InvalidUpload
from portfolio.evidence.services import Upload, check_uploads
from portfolio.storage import EvidenceStore
from portfolio.uploads import CSV, DOCX, EML, JPEG, PDF, PNG, TEXT, display_name


def pdf_bytes() -> bytes:
    from pypdf import PdfWriter
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def image_bytes(fmt: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (20, 10), "navy").save(out, fmt)
    return out.getvalue()


def docx_bytes() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>')
        z.writestr("_rels/.rels", '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"/>')
        z.writestr("word/document.xml", '<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>Hello</w:t></w:r></w:p></w:body></w:document>')
    return out.getvalue()


def eml_bytes() -> bytes:
    msg = EmailMessage()
    msg["From"] = "a@example.com"
    msg["To"] = "b@example.com"
    msg["Subject"] = "Your complaint"
    msg.set_content("Dear customer,\nThank you.\n")
    return bytes(msg)


GOOD = {
    "letter.pdf": (pdf_bytes, PDF),
    "photo.png": (lambda: image_bytes("PNG"), PNG),
    "photo.jpg": (lambda: image_bytes("JPEG"), JPEG),
    "reply.docx": (docx_bytes, DOCX),
    "thread.eml": (eml_bytes, EML),
    "notes.txt": (lambda: b"Called the customer back at 3pm.\n", TEXT),
    "log.csv": (lambda: b"case,opened,outcome\nNHA-1,Tue,resolved\nNHA-2,Wed,open\n", CSV),
}


@pytest.fixture
def store(tmp_path):
    return EvidenceStore(tmp_path / "store")


def check(store, name, data, limit=1_000_000):
    return check_uploads(store, [Upload(io.BytesIO(data), name)], limit)


@pytest.mark.parametrize("name", sorted(GOOD))
def test_accepted_types_by_content(store, name):
    make, mime = GOOD[name]
    data = make()
    [checked] = check(store, name, data)
    assert checked.mime_type == mime
    assert checked.staged.sha256 == hashlib.sha256(data).hexdigest()
    store.commit(checked.staged)
    path = store.path(checked.staged.sha256)
    assert path.read_bytes() == data
    assert path.name == checked.staged.sha256 and path.parent.parent.parent == store.blobs.root


@pytest.mark.parametrize("name,data,words", [
    ("evil.pdf", b"<!doctype html><html><script>alert(1)</script></html>", "web page (HTML)"),
    ("cat.png", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>', "SVG"),
    ("setup.pdf", b"MZ\x90\x00" + b"\x00" * 200 + b"This program cannot be run in DOS mode", "program"),
    ("archive.docx", None, "zip archive"),
])
def test_wrong_type_renamed_is_refused_with_a_clear_message(store, name, data, words):
    if data is None:
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as z:
            z.writestr("a.txt", "not a word document")
        data = out.getvalue()
    with pytest.raises(InvalidUpload) as caught:
        check(store, name, data)
    message = str(caught.value)
    assert f"“{name}” is not a file type we accept" in message and words in message
    assert "Renaming a file does not change its type" in message
    assert list(store.staging.iterdir()) == []  # nothing left behind


def test_truncated_pdf_is_refused(store):
    with pytest.raises(InvalidUpload, match="looks like a PDF but could not be read"):
        check(store, "half.pdf", pdf_bytes()[:60])


def test_broken_image_is_refused(store):
    with pytest.raises(InvalidUpload, match="cannot be opened"):
        check(store, "broken.png", image_bytes("PNG")[:40])


def test_over_the_limit_is_refused_and_nothing_is_kept(store):
    with pytest.raises(InvalidUpload, match="larger than the 1 MB limit"):
        check(store, "big.txt", b"x" * (1024 * 1024 + 1), limit=1024 * 1024)
    assert list(store.staging.iterdir()) == []


def test_empty_file_is_refused(store):
    with pytest.raises(InvalidUpload, match="is empty"):
        check(store, "empty.pdf", b"")


def test_one_bad_file_discards_the_good_ones_in_the_same_upload(store):
    uploads = [Upload(io.BytesIO(pdf_bytes()), "good.pdf"),
               Upload(io.BytesIO(b"<html></html>"), "bad.pdf")]
    with pytest.raises(InvalidUpload):
        check_uploads(store, uploads, 1_000_000)
    assert list(store.staging.iterdir()) == []


@pytest.mark.parametrize("raw,shown", [
    ("../../etc/cron.d/x.pdf", "x.pdf"),
    ("..\\..\\windows\\system32\\a.docx", "a.docx"),
    ("/etc/passwd", "passwd"),
    ("..", "unnamed file"),
    ("", "unnamed file"),
    ("inv\x00oice\r\n.pdf", "invoice.pdf"),
    ("Complaint – Mrs Ó Briain.pdf", "Complaint – Mrs Ó Briain.pdf"),
])
def test_filenames_are_for_display_only(raw, shown):
    assert display_name(raw) == shown


def test_path_traversal_filename_cannot_choose_where_bytes_go(store, tmp_path):
    [checked] = check(store, "../../../outside.txt", b"hello\n")
    store.commit(checked.staged)
    path = store.path(checked.staged.sha256)
    assert checked.filename == "outside.txt"
    assert store.blobs.root in path.parents
    assert not (tmp_path / "outside.txt").exists()


def test_same_bytes_are_stored_once(store):
    first, second = (check(store, name, b"same\n")[0].staged for name in ("a.txt", "b.txt"))
    store.commit(first)
    store.commit(second)
    assert first.sha256 == second.sha256 and list(store.staging.iterdir()) == []
    assert store.path(first.sha256).read_bytes() == b"same\n"


def test_store_refuses_non_hash_paths(store):
    with pytest.raises(ValueError):
        store.path("../../etc/passwd")


def test_a_long_pdf_is_checked_page_by_page_and_kept_whole(store, tmp_path, monkeypatch):
    """The upload check appends a PDF as the export will, a few pages at a time read from
    disk (a 100 MB PDF is never held whole): every page is tried, and all are kept."""
    from pypdf import PdfReader, PdfWriter

    from portfolio import parsers

    writer = PdfWriter()
    for _ in range(parsers.CHECK_BATCH * 2 + 3):
        writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    pages = parsers.CHECK_BATCH * 2 + 3

    [staged] = check(store, "long-letter.pdf", out.getvalue())
    assert len(PdfReader(staged.staged.normalised).pages) == pages

    tried = []
    real = parsers.append_pages
    monkeypatch.setattr(parsers, "append_pages", lambda writer, source, batch: (
        tried.extend(batch), real(writer, source, batch))[1])
    copy = tmp_path / "copy.pdf"
    copy.write_bytes(out.getvalue())
    parsers._check_append(str(copy), pages)
    assert tried == list(range(pages))
