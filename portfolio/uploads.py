"""Upload checks: a file is accepted by what it is, not by what it is called.

libmagic names the type from the content against an allow-list; then the file is opened with
its own parser, because sniffing alone is fooled by polyglots and truncated files.
"""

from __future__ import annotations

import email
import re
import unicodedata
import warnings
import zipfile
from email import policy
from pathlib import Path

import magic
from PIL import Image
from pypdf import PdfReader
from pypdf.errors import PdfReadError

from .errors import InvalidUpload

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


def display_name(raw: str | None) -> str:
    """A filename fit to show, never to use as a path: last path part, no control characters."""
    name = re.split(r"[\\/]", raw or "")[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip(" .")
    return name[:200] or "unnamed file"


def inspect(path: Path, filename: str) -> str:
    """Return the file's accepted MIME type, or raise InvalidUpload saying why not."""
    if path.stat().st_size == 0:
        raise InvalidUpload(f"“{filename}” is empty (0 bytes). Choose the file again; it may "
                            "not have finished saving or downloading.")
    sniffed = magic.from_file(str(path), mime=True)
    if sniffed in {"application/zip", "application/octet-stream"} and _is_docx(path):
        sniffed = DOCX  # some libmagic builds name a DOCX only as a zip
    if sniffed == TEXT and filename.lower().endswith(".eml") and _is_email(path):
        sniffed = EML  # an email whose first header libmagic does not know
    checker = _CHECKERS.get(sniffed)
    if checker is None:
        raise InvalidUpload(
            f"“{filename}” is not a file type we accept: its content looks like "
            f"{_describe(sniffed)}. Accepted: {ACCEPTED_DESCRIPTION}. Renaming a file does not "
            "change its type; save or export it in one of these formats instead.")
    checker(path, filename)
    return sniffed


def _describe(mime: str) -> str:
    return {"text/html": "a web page (HTML)", "image/svg+xml": "an SVG image",
            "application/zip": "a zip archive", "application/x-dosexec": "a Windows program",
            "application/vnd.ms-outlook": "an Outlook message (.msg)",
            "application/msword": "an old Word document (.doc)"}.get(mime, mime)


def _check_pdf(path: Path, filename: str) -> None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pypdf warns about damage it can repair
            reader = PdfReader(path)
            if reader.is_encrypted:
                raise InvalidUpload(f"“{filename}” is password-protected. Save a copy without "
                                    "the password and upload that, so assessors can open it.")
            if len(reader.pages) == 0:
                raise InvalidUpload(f"“{filename}” is a PDF with no pages.")
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise InvalidUpload(f"“{filename}” looks like a PDF but cannot be opened ({exc}). "
                            "It may be damaged; save or export it again.") from exc


def _is_docx(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as z:
            return "word/document.xml" in z.namelist()
    except (zipfile.BadZipFile, OSError):
        return False


def _check_docx(path: Path, filename: str) -> None:
    if not _is_docx(path):
        raise InvalidUpload(f"“{filename}” looks like a Word document but cannot be opened. "
                            "It may be damaged; save it again from Word.")


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
    with path.open("rb") as fh:
        msg = email.message_from_binary_file(fh, policy=policy.default)
    return bool(msg["From"] or msg["Subject"]) and bool(msg["From"] or msg["To"])


def _check_email(path: Path, filename: str) -> None:
    try:
        ok = _is_email(path)
    except Exception as exc:  # the email package raises many types for broken headers
        raise InvalidUpload(f"“{filename}” cannot be read as an email ({exc}).") from exc
    if not ok:
        raise InvalidUpload(f"“{filename}” has no From, To or Subject: save the email again "
                            "from your mail program (File, Save as, .eml).")


def _check_text(path: Path, filename: str) -> None:
    try:
        path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidUpload(f"“{filename}” is not UTF-8 text. Save it as UTF-8 (or as PDF) "
                            "and upload it again.") from exc


_CHECKERS = {PDF: _check_pdf, DOCX: _check_docx, PNG: _check_image, JPEG: _check_image,
             EML: _check_email, TEXT: _check_text, CSV: _check_text}
