"""Render, append, attach, sign; and verify.

Merge first, sign last: any rewrite after signing would break the signature (TECH-NOTES).
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from pypdf import PdfReader, PdfWriter

from .document import ExportDocument
from .fetcher import PortfolioFetcher
from .keys import CentreKeys

DIGEST_KEY = "/PortfolioDigest"
PORTFOLIO_KEY = "/PortfolioId"
Progress = Callable[[str, int], None]


def _quiet(_step: str, _percent: int) -> None:
    pass


def render(doc: ExportDocument, stylesheet: Path) -> tuple[bytes, list[str]]:
    """WeasyPrint, with the fetcher that reaches only this portfolio's files. Returns the PDF
    and the URLs the fetcher refused."""
    import weasyprint

    fetcher = PortfolioFetcher(stylesheet=stylesheet, files=doc.files)
    attachments = [weasyprint.Attachment(file_obj=io.BytesIO(path.read_bytes()), name=name,
                                         description=description, relationship="Source")
                   for name, path, description in doc.attachments]
    # WeasyPrint logs each refused resource as a warning; our fetcher records them instead.
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    pdf = weasyprint.HTML(string=doc.html, base_url="portfolio:", url_fetcher=fetcher).write_pdf(
        pdf_tags=True, attachments=attachments, uncompressed_pdf=False)
    return pdf, fetcher.refused


def append_and_stamp(pdf: bytes, doc: ExportDocument, portfolio_id: int) -> bytes:
    """Append uploaded PDFs (each with its own bookmark) and record the digest in the file.

    The digest and portfolio id are already in the document's keywords (from the HTML), so
    with nothing to append the rendered file is used as it is: re-reading a long tagged PDF
    with pypdf costs about 2 s per 100 pages.
    """
    if not doc.appended:
        return pdf
    writer = PdfWriter(clone_from=io.BytesIO(pdf))
    if doc.appended:
        parent = writer.add_outline_item(title="Appended PDF files",
                                         page_number=len(writer.pages) - 1)
        for title, path in doc.appended:
            start = len(writer.pages)
            writer.append(io.BytesIO(path.read_bytes()), import_outline=False)
            writer.add_outline_item(title=title, page_number=start, parent=parent)
    writer.add_metadata({"/Title": doc.title, DIGEST_KEY: doc.digest,
                         PORTFOLIO_KEY: str(portfolio_id)})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def sign_pdf(pdf: bytes, keys: CentreKeys, *, reason: str, location: str) -> bytes:
    meta = signers.PdfSignatureMetadata(
        field_name="CentreSignature", subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm="sha256", reason=reason, location=location)
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    return signers.sign_pdf(writer, meta, signer=keys.signer).getvalue()


def export_pdf(doc: ExportDocument, portfolio_id: int, keys: CentreKeys, stylesheet: Path, *,
               centre: str, progress: Progress = _quiet) -> tuple[bytes, list[str]]:
    progress("Laying out the pages", 10)
    pdf, refused = render(doc, stylesheet)
    progress("Appending uploaded PDFs", 75)
    merged = append_and_stamp(pdf, doc, portfolio_id)
    progress("Signing", 90)
    signed = sign_pdf(merged, keys, reason=f"Portfolio digest {doc.digest}", location=centre)
    return signed, refused


@dataclass(frozen=True)
class Verification:
    signed: bool
    intact: bool
    trusted: bool
    signer: str
    signed_at: datetime | None
    digest: str
    portfolio_id: int | None
    covers_whole_file: bool
    problem: str = ""

    @property
    def ok(self) -> bool:
        return self.signed and self.intact and self.trusted and self.covers_whole_file


def verify_pdf(data: bytes, keys: CentreKeys) -> Verification:
    """Is the file unaltered since the centre signed it, who signed it, when, what digest?"""
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        sigs = reader.embedded_signatures
    except Exception as exc:
        return Verification(False, False, False, "", None, "", None, False,
                            f"Not a readable PDF ({type(exc).__name__}).")
    if not sigs:
        return Verification(False, False, False, "", None, "", None, False,
                            "The file has no digital signature.")
    sig = sigs[-1]
    context = ValidationContext(trust_roots=list(keys.trust_roots), allow_fetching=False)
    try:
        status = validate_pdf_signature(sig, context)
    except Exception as exc:
        return Verification(True, False, False, "", None, "", None, False,
                            f"The signature could not be checked ({type(exc).__name__}).")
    info = {}
    try:
        info = PdfReader(io.BytesIO(data), strict=False).metadata or {}
    except Exception:  # noqa: S110  (metadata is informative; the signature decides)
        pass
    keywords = dict(part.strip().split(":", 1) for part in str(info.get("/Keywords") or "")
                    .split(",") if ":" in part)
    pid = info.get(PORTFOLIO_KEY) or keywords.get("portfolio-id")
    digest = str(info.get(DIGEST_KEY) or keywords.get("portfolio-digest") or "")
    coverage = getattr(sig, "coverage", None)
    whole = coverage is not None and coverage.name == "ENTIRE_FILE"
    return Verification(
        signed=True, intact=bool(status.intact), trusted=bool(status.trusted),
        signer=status.signing_cert.subject.human_friendly if status.signing_cert else "",
        signed_at=status.signer_reported_dt, digest=digest,
        portfolio_id=int(pid) if pid and str(pid).isdigit() else None,
        covers_whole_file=whole)
