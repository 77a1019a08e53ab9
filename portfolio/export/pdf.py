"""Render, append, attach, sign; and verify.

Merge first, sign last: any rewrite after signing would break the signature (TECH-NOTES). The
uploaded PDFs, the attached originals (attach.py) and the signature go into one incremental
update written by pyHanko, which reads the rendered document lazily instead of re-parsing it,
and writes the signed file straight to disk.
"""

from __future__ import annotations

import io
import logging
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.generic import pdf_name
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.metadata.model import NS, ExpandedName, XmpStructure, XmpValue
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from pypdf import PdfReader

from ..parsers import append_pages
from .attach import attach_files
from .document import ExportDocument
from .fetcher import PortfolioFetcher
from .keys import CentreKeys

Progress = Callable[[str, int], None]


class AppendFailed(RuntimeError):
    """An uploaded PDF that the signer refused; the message names the file."""


def _quiet(_step: str, _percent: int) -> None:
    pass


def render(doc: ExportDocument, stylesheet: Path) -> tuple[bytes, list[str]]:
    """WeasyPrint, with the fetcher that reaches only this portfolio's files. Returns the PDF
    and the URLs the fetcher refused."""
    import weasyprint

    fetcher = PortfolioFetcher(stylesheet=stylesheet, files=doc.files)
    # WeasyPrint logs each refused resource as a warning; our fetcher records them instead.
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    html = weasyprint.HTML(string=doc.html, base_url="portfolio:", url_fetcher=fetcher)
    stylesheets = []
    appended = sum(_page_count(path) for _title, path in doc.appended)
    if appended:
        # "Page X of Y" counts the appended pages too: lay out once to learn how many pages
        # the document has, then give the footer the whole total.
        total = len(html.render(pdf_tags=True).pages) + appended
        stylesheets = [weasyprint.CSS(string='@page { @bottom-right { content: "Page " '
                                             f'counter(page) " of {total}" !important; }} }}')]
    # PDF/UA-1 where it can be true: a document of our own HTML only. Appended uploads are
    # pictures of pages without structure, so a portfolio with them is a plain tagged PDF.
    variant = {} if doc.appended else {"pdf_variant": "pdf/ua-1"}
    pdf = html.write_pdf(stylesheets=stylesheets, pdf_tags=True, uncompressed_pdf=False,
                         **variant)
    return pdf, fetcher.refused


def _page_count(path: Path) -> int:
    """Pages of a repaired copy (normalised in the sandbox, so safe to read here)."""
    reader = PdfFileReader(io.BytesIO(path.read_bytes()), strict=False)
    return int(reader.root["/Pages"]["/Count"])


def _add_bookmarks(writer: IncrementalPdfFileWriter, entries: list[tuple[str, object]],
                   heading: str, heading_page) -> None:
    """One bookmark per (title, page) under `heading`: the document's own last bookmark of
    that name if there is one, otherwise a new top-level one."""
    root = writer.root
    outlines_ref = root.raw_get("/Outlines") if "/Outlines" in root else None
    if outlines_ref is None:
        outlines = generic.DictionaryObject({pdf_name("/Type"): pdf_name("/Outlines"),
                                             pdf_name("/Count"): generic.NumberObject(0)})
        outlines_ref = writer.add_object(outlines)
        root[pdf_name("/Outlines")] = outlines_ref
        writer.update_root()
    outlines = outlines_ref.get_object()

    def dest(page):
        return generic.ArrayObject([page, pdf_name("/Fit")])

    last_ref = outlines.raw_get("/Last") if "/Last" in outlines else None
    if last_ref is not None and str(last_ref.get_object().get("/Title")) == heading:
        # The document's own "Appended PDF files" section: the files go under it.
        parent_ref, parent, created = last_ref, last_ref.get_object(), False
    else:
        parent = generic.DictionaryObject({
            pdf_name("/Title"): generic.TextStringObject(heading),
            pdf_name("/Parent"): outlines_ref, pdf_name("/Dest"): dest(heading_page)})
        parent_ref, created = writer.add_object(parent), True
    children = []
    for title, page in entries:
        child = generic.DictionaryObject({pdf_name("/Title"): generic.TextStringObject(title),
                                          pdf_name("/Parent"): parent_ref,
                                          pdf_name("/Dest"): dest(page)})
        children.append((writer.add_object(child), child))
    for (ref, child), (next_ref, next_child) in zip(children, children[1:], strict=False):
        child[pdf_name("/Next")] = next_ref
        next_child[pdf_name("/Prev")] = ref
    if children:
        parent[pdf_name("/First")] = children[0][0]
        parent[pdf_name("/Last")] = children[-1][0]
        parent[pdf_name("/Count")] = generic.NumberObject(len(children))
    if not created:
        writer.update_container(parent)
        return
    if last_ref is not None:
        last = last_ref.get_object()
        last[pdf_name("/Next")] = parent_ref
        parent[pdf_name("/Prev")] = last_ref
        writer.update_container(last)
    else:
        outlines[pdf_name("/First")] = parent_ref
    outlines[pdf_name("/Last")] = parent_ref
    outlines[pdf_name("/Count")] = generic.NumberObject(int(outlines.get("/Count", 0)) + 1)
    writer.update_container(outlines)


def append_and_sign(pdf: bytes, doc: ExportDocument, keys: CentreKeys, output: BinaryIO, *,
                    reason: str, location: str) -> None:
    """Append uploaded PDFs with their bookmarks, attach the originals, then sign: one
    incremental update, written to `output` (a file opened for reading and writing, so the
    signer hashes it from disk)."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    if doc.appended:
        body_pages = int(writer.root["/Pages"]["/Count"])
        heading_page = writer.find_page_for_modification(body_pages - 1)[0]
        entries = []
        for title, path in doc.appended:  # repaired copies, each appended once at upload
            try:
                entries.append((title, append_pages(writer, path.read_bytes())))
            except Exception as exc:
                raise AppendFailed(f"{title.split(' appendix: ', 1)[-1]} ({title.split(' ', 1)[0]})"
                                   f" could not be appended: {type(exc).__name__}: {exc}") from exc
        _add_bookmarks(writer, entries, "Appended PDF files", heading_page)
    _keep_title(writer, doc.title, universal=not doc.appended)
    _describe_links(writer, doc.link_labels)
    meta = signers.PdfSignatureMetadata(
        field_name="CentreSignature", subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm="sha256", reason=reason, location=location)
    with tempfile.TemporaryDirectory(prefix="attach-") as scratch:
        attach_files(writer, doc.attachments, Path(scratch))
        signers.sign_pdf(writer, meta, signer=keys.signer, output=output)


def _describe_links(writer: IncrementalPdfFileWriter, labels: dict[str, str]) -> None:
    """WeasyPrint gives an internal link the bare anchor id ("e3") as its description: give it
    the words of its target instead ("Go to E3 Email exchange with Mr Hughes")."""
    if not labels:
        return
    pages = int(writer.root["/Pages"]["/Count"])
    for index in range(pages):
        page = writer.find_page_for_modification(index)[0].get_object()
        for ref in page.get("/Annots") or []:
            annot = ref.get_object()
            if annot.get("/Subtype") != "/Link":
                continue
            label = labels.get(str(annot.get("/Contents", "")).lstrip("#"))
            if label:
                annot[pdf_name("/Contents")] = generic.TextStringObject(label)
                writer.update_container(annot)


def _keep_title(writer: IncrementalPdfFileWriter, title: str, *, universal: bool) -> None:
    """pyHanko rewrites the document's metadata when it signs: give it the title, so the XMP
    metadata and the Info both keep it, and ask readers to show it as the window title; keep
    WeasyPrint's PDF/UA identification too, when the document was made as PDF/UA."""
    writer.document_meta.title = title
    if universal:
        writer.document_meta.xmp_extra.append(XmpStructure.of(
            (ExpandedName(ns=NS["pdfuaid"], local_name="part"), XmpValue("1"))))
    writer.root[pdf_name("/ViewerPreferences")] = generic.DictionaryObject(
        {pdf_name("/DisplayDocTitle"): generic.BooleanObject(True)})
    writer.update_root()


def export_pdf(doc: ExportDocument, portfolio_id: int, keys: CentreKeys, stylesheet: Path,
               output: BinaryIO, *, centre: str, progress: Progress = _quiet) -> list[str]:
    """Write the signed PDF to `output`; returns the URLs the renderer was refused."""
    progress("Laying out the pages", 10)
    pdf, refused = render(doc, stylesheet)
    progress("Appending uploaded PDFs, attaching the originals and signing", 85)
    append_and_sign(pdf, doc, keys, output, reason=f"Portfolio digest {doc.digest}",
                    location=centre)
    return refused


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


def _not_verified(problem: str, *, signed: bool = False) -> Verification:
    return Verification(signed, False, False, "", None, "", None, False, problem)


def _portfolio_id(value: str | None) -> int | None:
    """The id a `portfolio-id:` keyword names, if it is a plausible one (ASCII digits that fit
    a database integer); anything else names no portfolio."""
    value = (value or "").strip()
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 18 else None


def verify_pdf(data: bytes, keys: CentreKeys) -> Verification:
    """Is the file unaltered since the centre signed it, who signed it, when, what digest?

    Any bytes at all get a verdict with a reason: nothing here raises."""
    try:
        return _verify(data, keys)
    except Exception as exc:  # a hostile file must not turn a check into a crash
        return _not_verified(f"The file could not be checked ({type(exc).__name__}).")


def _verify(data: bytes, keys: CentreKeys) -> Verification:
    if not data:
        return _not_verified("The file is empty.")
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        sigs = reader.embedded_signatures
    except Exception as exc:
        return _not_verified(f"Not a readable PDF ({type(exc).__name__}).")
    if not sigs:
        return _not_verified("The file has no digital signature.")
    sig = sigs[-1]
    context = ValidationContext(trust_roots=list(keys.trust_roots), allow_fetching=False)
    # pyHanko logs a stranger's certificate with a traceback; the verdict below says it.
    logging.getLogger("pyhanko.sign.validation").setLevel(logging.ERROR)
    try:
        status = validate_pdf_signature(sig, context)
    except Exception as exc:
        return _not_verified(f"The signature could not be checked ({type(exc).__name__}).",
                             signed=True)
    keywords = {}
    try:
        info = PdfReader(io.BytesIO(data), strict=False).metadata or {}
        keywords = dict(part.strip().split(":", 1) for part in str(
            info.get("/Keywords") or "").split(",") if ":" in part)
    except Exception:  # noqa: S110  (metadata is informative; the signature decides)
        pass
    coverage = getattr(sig, "coverage", None)
    whole = coverage is not None and coverage.name == "ENTIRE_FILE"
    return Verification(
        signed=True, intact=bool(status.intact), trusted=bool(status.trusted),
        signer=status.signing_cert.subject.human_friendly if status.signing_cert else "",
        signed_at=status.signer_reported_dt, digest=str(keywords.get("portfolio-digest", "")),
        portfolio_id=_portfolio_id(keywords.get("portfolio-id")),
        covers_whole_file=whole)
