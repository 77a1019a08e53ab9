"""Upload checks: a file is accepted by what it is, not by what it is called.

libmagic names the type from the content against an allow-list; then the file is opened with
its own parser, because sniffing alone is fooled by polyglots and truncated files. PDFs, Word
documents and emails are opened in a child process with a time and memory budget (sandbox.py),
so a looping or bomb file is refused instead of hanging the server. A PDF is repaired and
normalised there (qpdf), and the normalised copy is appended to the PDF export by the same code
that checked it; the original is kept byte for byte.
"""

from __future__ import annotations

import codecs
import email
import email.parser
import re
import unicodedata
import zipfile
from email import policy
from pathlib import Path

import magic
from PIL import Image

from .errors import InvalidUpload
from .sandbox import ParseFailed, run

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PNG = "image/png"
JPEG = "image/jpeg"
EML = "message/rfc822"
TEXT = "text/plain"
CSV = "text/csv"

KINDS = {PDF: "PDF document", DOCX: "Word document (DOCX)", PNG: "PNG image",
         JPEG: "JPEG image", EML: "Email (EML)", TEXT: "Plain text", CSV: "CSV table"}
ACCEPTED_DESCRIPTION = ("PDF, Word (.docx), PNG or JPEG images, emails saved as .eml, plain text "
                        "or CSV")
# What a browser's file picker should offer; the server still decides by content.
ACCEPT_ATTRIBUTE = ".pdf,.docx,.png,.jpg,.jpeg,.eml,.txt,.md,.csv"

# Well above a phone photo (48 MP), well below a decompression bomb.
MAX_IMAGE_PIXELS = 100_000_000
# A Word document's parts, unpacked: real documents stay far below both.
MAX_DOCX_UNPACKED = 50 << 20
MAX_DOCX_RATIO = 100  # unpacked / packed, once the unpacked text passes 2 MB


def display_name(raw: str | None) -> str:
    """A filename fit to show, never to use as a path: last path part, no control characters."""
    name = re.split(r"[\\/]", raw or "")[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip(" .")
    return name[:200] or "unnamed file"


def inspect(path: Path, filename: str, normalised: Path | None = None,
            text: Path | None = None) -> str:
    """Return the file's accepted MIME type, or raise InvalidUpload saying why not.

    For a PDF, the repaired and normalised copy is written to `normalised` (if given); for an
    email, a Word document or a PDF, its text (JSON) to `text` (if given), by the same child
    that checks it."""
    if path.stat().st_size == 0:
        raise InvalidUpload(f"“{filename}” is empty (0 bytes). Choose the file again; it may "
                            "not have finished saving or downloading.")
    sniffed = magic.from_file(str(path), mime=True)
    if sniffed in {"application/zip", "application/octet-stream"} and _is_docx(path):
        sniffed = DOCX  # some libmagic builds name a DOCX only as a zip
    if sniffed == TEXT and filename.lower().endswith(".eml") and _is_email(path):
        sniffed = EML  # an email whose first header libmagic does not know
    if sniffed not in _CHECKERS:
        raise InvalidUpload(
            f"“{filename}” is not a file type we accept: its content looks like "
            f"{_describe(sniffed)}. Accepted: {ACCEPTED_DESCRIPTION}. Renaming a file does not "
            "change its type; save or export it in one of these formats instead.")
    extra = (text,) if text is not None else ()
    if sniffed == PDF:
        _check_pdf(path, filename, normalised or path.with_name(path.name + ".normalised"),
                   extra)
        if normalised is None:
            path.with_name(path.name + ".normalised").unlink(missing_ok=True)
    elif sniffed in (DOCX, EML):
        _CHECKERS[sniffed](path, filename, extra)
    else:
        _CHECKERS[sniffed](path, filename)
    return sniffed


def _describe(mime: str) -> str:
    return {"text/html": "a web page (HTML)", "image/svg+xml": "an SVG image",
            "application/zip": "a zip archive", "application/x-dosexec": "a Windows program",
            "application/vnd.ms-outlook": "an Outlook message (.msg)",
            "application/msword": "an old Word document (.doc)"}.get(mime, mime)


def _refused(filename: str, what: str, exc: ParseFailed) -> InvalidUpload:
    return InvalidUpload(f"“{filename}” looks like {what} but could not be read: {exc}. It may "
                         "be damaged or unusually built; save or export it again (as PDF if "
                         "it keeps failing) and attach the new copy.")


def _check_pdf(path: Path, filename: str, normalised: Path, extra: tuple[Path, ...] = ()) -> None:
    try:
        run("pdf", path, normalised, *extra)
    except ParseFailed as exc:
        normalised.unlink(missing_ok=True)
        if str(exc) == "password-protected":
            raise InvalidUpload(f"“{filename}” is password-protected. Save a copy without the "
                                "password and upload that, so assessors can open it.") from None
        if str(exc) == "no pages":
            raise InvalidUpload(f"“{filename}” is a PDF with no pages.") from None
        raise _refused(filename, "a PDF", exc) from None


def _is_docx(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as z:
            return "word/document.xml" in z.namelist()
    except (zipfile.BadZipFile, OSError):
        return False


def _check_docx(path: Path, filename: str, extra: tuple[Path, ...] = ()) -> None:
    if not _is_docx(path):
        raise InvalidUpload(f"“{filename}” looks like a Word document but cannot be opened. "
                            "It may be damaged; save it again from Word.")
    with zipfile.ZipFile(path) as z:
        unpacked = sum(i.file_size for i in z.infolist())
    packed = max(path.stat().st_size, 1)
    if unpacked > MAX_DOCX_UNPACKED or (unpacked > 2 << 20 and unpacked / packed > MAX_DOCX_RATIO):
        raise InvalidUpload(f"“{filename}” unpacks to {unpacked >> 20} MB from "
                            f"{packed >> 10} KB, far more than a real document does. Save it "
                            "as PDF and attach that instead.")
    try:
        run("docx", path, *extra)
    except ParseFailed as exc:
        raise _refused(filename, "a Word document", exc) from None


def _check_image(path: Path, filename: str) -> None:
    try:
        with Image.open(path) as img:
            if img.width * img.height > MAX_IMAGE_PIXELS:
                raise InvalidUpload(f"“{filename}” is {img.width}×{img.height} pixels, larger "
                                    "than we accept. Resize it and upload it again.")
            img.verify()
    except InvalidUpload:
        raise
    except Exception as exc:  # Pillow raises many types for broken images
        raise InvalidUpload(f"“{filename}” looks like an image but cannot be opened. "
                            "It may be damaged or only partly saved.") from exc


def _is_email(path: Path) -> bool:
    """Does it start with email headers? (Headers only: the body is read in the sandbox.)"""
    try:
        with path.open("rb") as fh:
            msg = email.parser.BytesHeaderParser(policy=policy.default).parse(fh)
        return bool(msg["From"] or msg["Subject"]) and bool(msg["From"] or msg["To"])
    except Exception:  # the email package raises many types for broken headers
        return False


def _check_email(path: Path, filename: str, extra: tuple[Path, ...] = ()) -> None:
    if not _is_email(path):
        raise InvalidUpload(f"“{filename}” has no From, To or Subject: save the email again "
                            "from your mail program (File, Save as, .eml).")
    try:
        run("eml", path, *extra)
    except ParseFailed as exc:
        raise _refused(filename, "an email", exc) from None


def _check_text(path: Path, filename: str) -> None:
    """UTF-8 throughout, read a megabyte at a time (a large log never sits in memory)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with path.open("rb") as fh:
            while chunk := fh.read(1024 * 1024):
                decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError as exc:
        raise InvalidUpload(f"“{filename}” is not UTF-8 text. Save it as UTF-8 (or as PDF) "
                            "and upload it again.") from exc


_CHECKERS = {PDF: None, DOCX: _check_docx, PNG: _check_image, JPEG: _check_image,
             EML: _check_email, TEXT: _check_text, CSV: _check_text}
