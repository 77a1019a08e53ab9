"""A corpus of hostile and broken files, made here (nothing downloaded): looping, truncated,
bomb and malformed PDFs, DOCX, images and emails, as attackers, scanners and phone apps make
them. Each maker returns (file name, bytes)."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from email.message import EmailMessage


def pdf(objects: dict[int, bytes], *, root: int = 1, size: int | None = None,
        bad_offsets: bool = False, lengths: dict[int, int] | None = None) -> bytes:
    """A PDF from raw object bodies, with a correct (or deliberately wrong) xref table."""
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = {}
    for number in sorted(objects):
        offsets[number] = out.tell() + (137 if bad_offsets else 0)
        out.write(f"{number} 0 obj\n".encode() + objects[number] + b"\nendobj\n")
    xref = out.tell()
    count = max(objects) + 1
    out.write(f"xref\n0 {count}\n0000000000 65535 f \n".encode())
    for number in range(1, count):
        out.write(f"{offsets.get(number, 0):010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {size or count} /Root {root} 0 R >>\nstartxref\n{xref}\n"
              "%%EOF\n".encode())
    return out.getvalue()


def _stream(data: bytes, length: int | None = None) -> bytes:
    return (f"<< /Length {len(data) if length is None else length} >>\nstream\n".encode()
            + data + b"\nendstream")


CONTENT = b"BT /F1 24 Tf 72 700 Td (Complaint log) Tj ET"
FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"


def _page(extra: bytes = b"", *, mediabox: bool = True, resources: bool = True,
          parent: int = 2) -> bytes:
    parts = [b"<< /Type /Page", f" /Parent {parent} 0 R".encode(), b" /Contents 4 0 R"]
    if mediabox:
        parts.append(b" /MediaBox [0 0 595 842]")
    if resources:
        parts.append(b" /Resources << /Font << /F1 5 0 R >> >>")
    return b"".join(parts) + extra + b" >>"


def good_pdf() -> tuple[str, bytes]:
    return "good.pdf", pdf({1: b"<< /Type /Catalog /Pages 2 0 R >>",
                            2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                            3: _page(), 4: _stream(CONTENT), 5: FONT})


def looping_pdf() -> tuple[str, bytes]:
    """The page tree points back at itself: a page whose /Parent is the page."""
    return "looping.pdf", pdf({1: b"<< /Type /Catalog /Pages 2 0 R >>",
                               2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                               3: _page(parent=3, mediabox=False), 4: _stream(CONTENT),
                               5: FONT})


def kids_loop_pdf() -> tuple[str, bytes]:
    """A /Pages node that lists itself among its kids."""
    return "kids-loop.pdf", pdf({1: b"<< /Type /Catalog /Pages 2 0 R >>",
                                 2: b"<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 2 >>",
                                 3: _page(), 4: _stream(CONTENT), 5: FONT})


def no_resources_pdf() -> tuple[str, bytes]:
    return "no-resources.pdf", pdf({1: b"<< /Type /Catalog /Pages 2 0 R >>",
                                    2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                                    3: _page(resources=False), 4: _stream(CONTENT), 5: FONT})


def no_mediabox_pdf() -> tuple[str, bytes]:
    return "no-mediabox.pdf", pdf({1: b"<< /Type /Catalog /Pages 2 0 R >>",
                                   2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                                   3: _page(mediabox=False), 4: _stream(CONTENT), 5: FONT})


def bad_rotate_pdf() -> tuple[str, bytes]:
    return "bad-rotate.pdf", pdf({1: b"<< /Type /Catalog /Pages 2 0 R >>",
                                  2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                                  3: _page(b" /Rotate /Sideways"), 4: _stream(CONTENT),
                                  5: FONT})


def wrong_length_pdf() -> tuple[str, bytes]:
    return "wrong-length.pdf", pdf({1: b"<< /Type /Catalog /Pages 2 0 R >>",
                                    2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                                    3: _page(), 4: _stream(CONTENT, length=9999), 5: FONT})


def bad_xref_pdf() -> tuple[str, bytes]:
    name, data = good_pdf()
    return "bad-xref.pdf", pdf({1: b"<< /Type /Catalog /Pages 2 0 R >>",
                                2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                                3: _page(), 4: _stream(CONTENT), 5: FONT}, bad_offsets=True)


def huge_xref_pdf() -> tuple[str, bytes]:
    return "huge-xref.pdf", pdf({1: b"<< /Type /Catalog /Pages 2 0 R >>",
                                 2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                                 3: _page(), 4: _stream(CONTENT), 5: FONT}, size=2_000_000_000)


def truncated_pdf() -> tuple[str, bytes]:
    return "truncated.pdf", good_pdf()[1][:180]


def docx(document_xml: bytes, name: str = "account.docx") -> tuple[str, bytes]:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("[Content_Types].xml",
                   '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
                   'package/2006/content-types"><Default Extension="xml" ContentType='
                   '"application/xml"/><Override PartName="/word/document.xml" ContentType='
                   '"application/vnd.openxmlformats-officedocument.wordprocessingml.document.'
                   'main+xml"/></Types>')
        z.writestr("_rels/.rels",
                   '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.'
                   'org/package/2006/relationships"><Relationship Id="r1" Type="http://schemas.'
                   'openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
                   'Target="word/document.xml"/></Relationships>')
        z.writestr("word/document.xml", document_xml)
    return name, buffer.getvalue()


W = b'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def good_docx() -> tuple[str, bytes]:
    return docx(b'<w:document ' + W + b'><w:body><w:p><w:r><w:t>I resolved the complaint.'
                b'</w:t></w:r></w:p></w:body></w:document>')


def docx_bomb(paragraphs: int = 60_000) -> tuple[str, bytes]:
    """A few KB that expand to megabytes of text in thousands of paragraphs."""
    body = b"<w:p><w:r><w:t>" + b"complaint " * 5 + b"</w:t></w:r></w:p>"
    return docx(b"<w:document " + W + b"><w:body>" + body * paragraphs +
                b"</w:body></w:document>", name="bomb.docx")


def nested_email(depth: int = 3000) -> tuple[str, bytes]:
    """Multipart inside multipart, thousands deep."""
    head = b"From: a@example.com\r\nTo: b@example.com\r\nSubject: nested\r\nMIME-Version: 1.0\r\n"
    body = b"innermost\r\n"
    for level in range(depth):
        boundary = f"b{level}".encode()
        body = (b"Content-Type: multipart/mixed; boundary=" + boundary + b"\r\n\r\n--" +
                boundary + b"\r\n" + body + b"\r\n--" + boundary + b"--\r\n")
    return "nested.eml", head + body


def good_email() -> tuple[str, bytes]:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "a@example.com", "b@example.com", "Your complaint"
    msg.set_content("Dear Mr Hughes, thank you for your patience.")
    return "reply.eml", bytes(msg)


def png(width: int, height: int, rows: bytes = b"") -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows))
            + chunk(b"IEND", b""))


def png_bomb() -> tuple[str, bytes]:
    return "bomb.png", png(100_000, 100_000)


def truncated_png() -> tuple[str, bytes]:
    return "truncated.png", png(8, 8, b"\x00" + b"\xff" * 24)[:40]


PDFS = [looping_pdf, kids_loop_pdf, no_resources_pdf, no_mediabox_pdf, bad_rotate_pdf,
        wrong_length_pdf, bad_xref_pdf, huge_xref_pdf, truncated_pdf]
CORPUS = PDFS + [docx_bomb, nested_email, png_bomb, truncated_png]
