"""The portfolio as one HTML document for the PDF: everything an internal verifier or external
quality assurer needs to judge it from the file alone.

Each evidence file is shown the way its kind reads best: images inline (a print copy, fetched
only through the PortfolioFetcher: images.py), DOCX converted by mammoth and sanitised, emails
with their headers, body and attachment list, text and CSV as text; uploaded PDFs are appended
after the body, each with its own bookmark. Every original file is also attached inside the PDF.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from flask import current_app, render_template
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from .. import ai_use, sandbox
from ..audit import READS
from ..coverage import Coverage
from ..extensions import db
from ..facts import coverage_for, portfolio_state, samples_of, signature_statuses
from ..models import AuditEvent, Claim, Decision, Evidence, Portfolio
from ..signing import digest_of
from ..spec import Unit
from ..storage import Changed, Missing
from ..text import sanitize_html
from ..uploads import CSV, DOCX, EML, JPEG, KINDS, PDF, PNG, TEXT, display_name
from ..witness.checks import VERIFICATION_LABELS
from ..witness.services import witness_rows
from .fetcher import evidence_url
from .images import print_copy

TEXT_LIMIT = 200_000  # characters of a text file shown in the PDF (the file itself is attached)


@dataclass
class FilePart:
    name: str
    sha256: str
    mime_type: str
    kind: str  # image, docx, email, text, table, pdf
    size: int
    html: str = ""
    text: str = ""
    rows: list[list[str]] = field(default_factory=list)
    headers: list[tuple[str, str]] = field(default_factory=list)
    attachments: list[tuple[str, str]] = field(default_factory=list)
    problem: str = ""
    appendix: Path | None = None  # a PDF's repaired copy, appended after the document
    shown: Path | None = None  # an image's print copy (or the original, when small), in the body


@dataclass
class EvidenceBlock:
    number: int
    evidence: Evidence
    method: str
    parts: list[FilePart]
    ai_statement: str | None = None  # the learner's statement of AI use, on their own items


@dataclass(frozen=True)
class Attachment:
    """An original evidence file, attached inside the PDF as it was uploaded."""

    name: str  # E3-photo.jpg
    path: Path
    description: str
    mime_type: str


@dataclass
class ExportDocument:
    html: str
    files: dict[str, tuple[Path, str]]  # sha256 -> (path, mime): what the fetcher may serve
    appended: list[tuple[str, Path]]  # (bookmark title, path) of uploaded PDFs, in order
    attachments: list[Attachment]
    digest: str
    title: str
    # What each internal link leads to, in words: the PDF's link annotations describe their
    # target with it instead of the bare anchor id (screen readers read it out).
    link_labels: dict[str, str] = field(default_factory=dict)


def _docx_html(path: Path) -> str:
    # Converted in the sandbox (mammoth's time grows much faster than the text); images inside
    # a DOCX are left out and the HTML is capped (the original file is attached in full).
    answer = sandbox.run("docx", path)
    note = ("<p><em>The rest of this document is in the attached original.</em></p>"
            if answer["cut"] else "")
    return str(sanitize_html(answer["html"] + note))


def _email_part(part: FilePart, path: Path) -> None:
    answer = sandbox.run("eml", path)
    part.headers = [tuple(h) for h in answer["headers"]]
    if answer["html"]:
        part.html = str(sanitize_html(answer["html"]))
    else:
        part.text = answer["text"][:TEXT_LIMIT]
    # An attachment's own name is for display only (it can be a path such as ../../x).
    part.attachments = [(display_name(name), about) for name, about in answer["attachments"]]


def normalised_pdf(store, sha256: str, original: Path) -> Path:
    """The repaired copy of an uploaded PDF that the export appends: made at upload, or here
    (in the sandbox) for a file uploaded before copies were kept."""
    copy = store.normalised(sha256)
    if copy is None:
        made = store.part(".pdf")
        try:
            sandbox.run("pdf", original, made)
            store.put_normalised(sha256, made)
        finally:
            made.unlink(missing_ok=True)
        copy = store.normalised(sha256)
    return copy


def _file_part(f, path: Path, store) -> FilePart:
    part = FilePart(name=f.filename, sha256=f.sha256, mime_type=f.mime_type, kind="other",
                    size=f.size)
    try:
        if f.mime_type in (PNG, JPEG):
            part.kind, part.shown = "image", print_copy(store, f.sha256, path)
        elif f.mime_type == PDF:
            part.kind, part.appendix = "pdf", normalised_pdf(store, f.sha256, path)
        elif f.mime_type == DOCX:
            part.kind, part.html = "docx", _docx_html(path)
        elif f.mime_type == EML:
            part.kind = "email"
            _email_part(part, path)
        elif f.mime_type == CSV:
            part.kind = "table"
            text = path.read_text(encoding="utf-8", errors="replace")[:TEXT_LIMIT]
            part.rows = list(csv.reader(io.StringIO(text)))
        elif f.mime_type == TEXT:
            part.kind = "text"
            part.text = path.read_text(encoding="utf-8", errors="replace")[:TEXT_LIMIT]
    except sandbox.ParseFailed as exc:  # past its time or memory budget, or unreadable
        current_app.logger.warning("export: could not render %s (%s): %s", f.filename,
                                   f.sha256, exc)
        part.kind, part.problem = "other", (f"“{f.filename}” could not be rendered: {exc}; the "
                                            "original is attached to this PDF.")
    except Exception as exc:  # a file we accepted but cannot show: say so, keep going
        current_app.logger.warning("export: could not render %s (%s): %s", f.filename,
                                   f.sha256, exc)
        part.kind, part.problem = "other", (f"“{f.filename}” could not be rendered "
                                            f"({type(exc).__name__}); the original is attached "
                                            "to this PDF.")
    return part


def _audit_summary(portfolio: Portfolio) -> tuple[list[tuple[str, int]], list[AuditEvent]]:
    counts = Counter(db.session.scalars(select(AuditEvent.action).where(
        AuditEvent.portfolio_id == portfolio.id)))
    recent = db.session.scalars(
        select(AuditEvent).where(AuditEvent.portfolio_id == portfolio.id,
                                 AuditEvent.action.not_in(READS),
                                 AuditEvent.action.not_like("%downloaded"))
        .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc()).limit(40)).all()
    return sorted(counts.items()), recent


class StoreProblem(RuntimeError):
    """An evidence file the export needs cannot be read as it was stored."""


def build(portfolio: Portfolio, unit: Unit, *, today: date, store) -> ExportDocument:
    items = db.session.scalars(
        select(Evidence).where(Evidence.portfolio_id == portfolio.id)
        .options(selectinload(Evidence.files), selectinload(Evidence.responses),
                 selectinload(Evidence.witness), selectinload(Evidence.versions),
                 selectinload(Evidence.claims).selectinload(Claim.decisions)
                 .selectinload(Decision.assessor))
        .order_by(Evidence.dated, Evidence.id)).all()
    coverage: Coverage = coverage_for(portfolio, unit, today)
    files: dict[str, tuple[Path, str]] = {}
    appended: list[tuple[str, Path]] = []
    attachments: list[Attachment] = []
    blocks = []
    for number, evidence in enumerate(items, start=1):
        parts = []
        for f in evidence.files:
            try:
                path = store.path(f.sha256)
            except (Missing, Changed) as exc:  # never a PDF that silently leaves a file out
                state = "missing from" if isinstance(exc, Missing) else "changed in"
                raise StoreProblem(f"E{number} “{evidence.title}”: the file “{f.filename}” "
                                   f"is {state} the evidence store, so the PDF was not made. "
                                   "Tell your administrator: the command flask store verify "
                                   "lists every such file") from exc
            part = _file_part(f, path, store)
            # The body's image is its print copy; the attachment is always the original.
            files[f.sha256] = (part.shown, JPEG) if part.shown not in (None, path) else \
                (path, f.mime_type)
            parts.append(part)
            attachments.append(Attachment(f"E{number}-{f.filename}", path,
                                          f"E{number} “{evidence.title}”: {f.filename} "
                                          f"(SHA-256 {f.sha256})", f.mime_type))
            if part.kind == "pdf":
                appended.append((f"E{number} appendix: {f.filename}", part.appendix))
        method = unit.methods.get(evidence.method)
        blocks.append(EvidenceBlock(number, evidence, method.name if method else evidence.method,
                                    parts, ai_statement=ai_use.statement(evidence, unit)))
    numbers = {b.evidence.id: b.number for b in blocks}
    state = portfolio_state(portfolio)
    signatures = signature_statuses(portfolio, state)
    counts, recent = _audit_summary(portfolio)
    samples = [s for s in reversed(samples_of(portfolio)) if s.completed]
    title = f"{portfolio.learner.name}: {unit.name}"
    html = render_template(
        "export/portfolio.html", portfolio=portfolio, unit=unit, coverage=coverage,
        blocks=blocks, numbers=numbers, signatures=signatures, digest=digest_of(state),
        witness_rows=witness_rows(portfolio), audit_counts=counts, samples=samples,
        audit_recent=recent, today=today, title=title, kinds=KINDS, evidence_url=evidence_url,
        verification_labels=VERIFICATION_LABELS,
        appended=[name for name, _ in appended])
    labels = {"contents": "Contents", "unit": "Unit summary", "grid": "Tracking grid",
              "criteria": "Criteria, claims and decisions", "rests-on":
              "What the sign-off rests on", "evidence": "Evidence", "witnesses": "Witnesses",
              "quality": "Internal quality assurance", "signatures": "Declaration and sign-off",
              "audit": "Audit trail summary", "appendices": "Appended PDF files"}
    labels |= {f"e{b.number}": f"E{b.number} {b.evidence.title}" for b in blocks}
    labels |= {f"ac-{c.id}": f"AC {c.id} {c.text}" for c in unit.criteria}
    return ExportDocument(html=html, files=files, appended=appended, attachments=attachments,
                          digest=digest_of(state), title=title,
                          link_labels={k: f"Go to {v}" for k, v in labels.items()})
