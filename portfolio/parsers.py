"""Parsing uploaded files, in a child process under a time and memory budget.

Run as a script by `sandbox.py` (never imported by the child as part of the package), so it
imports only third-party libraries: a hostile file that loops a parser, eats memory or
crashes it takes down only the child. The child limits itself (address space, CPU seconds,
file size) before it opens the file; the parent adds a wall-clock timeout. Each task prints one
line of JSON: {"ok": true, ...} or {"ok": false, "reason": "..."}.

The export imports `append_pages` from here too, so the check made at upload is the code path
the signed export takes: a PDF that passes was appended once already.

Tasks (TEXT: where to write the file's plain text as JSON, {"text": ..., "cut": bool}, for
finding personal data in it; the text is read in the same child that checks the file):
  pdf IN OUT [TEXT]  repair and normalise IN with qpdf (pikepdf) into OUT, then append OUT to
                  a blank document with pyHanko exactly as the export does; its text (pdfium)
  docx IN [TEXT]  convert with mammoth to HTML (images left out), capped
  eml IN [TEXT]   headers, the body (text or HTML, capped) and the attachments' names
  pdftext IN TEXT  only the text of a PDF uploaded before text was kept
  text IN         the text of a PDF's pages (pdfium), for quoting passages, capped
  page IN OUT N   draw page N (from 1) of a PDF as a PNG at most PREVIEW_WIDTH wide (pdfium)
  image IN OUT N  a print copy of a PNG or JPEG: upright (EXIF orientation), at most N pixels
                  on its long side, JPEG without metadata (transparency flattened on white)
"""

from __future__ import annotations

import gc
import io
import json
import sys

HTML_LIMIT = 150_000  # characters of converted HTML kept for the PDF (the original is attached)
MAX_PARTS = 200  # parts of an email walked, however deeply nested


def _sibling(name: str):
    """A module beside this file, loaded by its path: the child runs in isolated mode, where
    this folder is not on sys.path (nor may it be: its modules would shadow the stdlib's)."""
    import importlib.util
    from pathlib import Path

    spec = importlib.util.spec_from_file_location(f"_sandbox_{name}",
                                                  Path(__file__).with_name(f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_reading = _sibling("parser_text")  # plain text of files: for quoting and personal data
READ_LIMIT, _short, _email_text, _html_text, _pdf_text, _write_text = (
    _reading.READ_LIMIT, _reading.short, _reading.email_text, _reading.html_text,
    _reading.pdf_text, _reading.write_text)
A4 = [0, 0, 595.28, 841.89]


def append_pages(writer, source, pages: range | None = None):
    """Append every page of a PDF (bytes, or a file open for reading, which is read only as
    the pages need it) to an IncrementalPdfFileWriter, each drawn as a form XObject on a new
    page; `pages` limits it to some of them. Links and form fields are not carried over (the
    original is attached). Returns the first appended page."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.generic import pdf_name
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.pdf_utils.rw_common import find_inherited_value_in_tree

    source = PdfFileReader(io.BytesIO(source) if isinstance(source, bytes) else source,
                           strict=False)
    count = int(source.root["/Pages"]["/Count"])
    first = None
    for index in pages if pages is not None else range(count):
        page = source.find_page_for_modification(index)[0].get_object()
        box = find_inherited_value_in_tree(page, "/MediaBox", "/Parent")
        new_page = generic.DictionaryObject({
            pdf_name("/Type"): pdf_name("/Page"),
            pdf_name("/MediaBox"): generic.ArrayObject(
                generic.FloatObject(float(v)) for v in box),
        })
        rotate = find_inherited_value_in_tree(page, "/Rotate", "/Parent")
        if rotate:
            new_page[pdf_name("/Rotate")] = generic.NumberObject(int(rotate))
        if "/Contents" in page:
            form = writer.import_page_as_xobject(source, page_ix=index)
            new_page[pdf_name("/Resources")] = generic.DictionaryObject({
                pdf_name("/XObject"): generic.DictionaryObject({pdf_name("/Upload"): form})})
            drawn = b"q /Upload Do Q"
        else:
            new_page[pdf_name("/Resources")] = generic.DictionaryObject()
            drawn = b""
        new_page[pdf_name("/Contents")] = writer.add_object(
            generic.StreamObject(stream_data=drawn))
        ref = writer.insert_page(new_page)
        first = first or ref
    return first


def _normalise_pdf(source: str, target: str, text_out: str | None = None) -> dict:
    import pikepdf

    try:
        pdf = pikepdf.open(source)
    except pikepdf.PasswordError:
        return {"ok": False, "reason": "password-protected"}
    except pikepdf.PdfError as exc:
        return {"ok": False, "reason": f"damaged beyond repair ({_short(exc)})"}
    with pdf:
        pages = len(pdf.pages)  # qpdf walks (and repairs) the page tree; a loop is an error
        if pages == 0:
            return {"ok": False, "reason": "no pages"}
        tree = pdf.Root.Pages
        flat = []
        for page in pdf.pages:
            # Push what a page inherits onto the page itself, give it what a page must have,
            # then hang every page directly under the root: a /Parent that loops, or a box
            # that is not numbers, can no longer reach the signer.
            obj = page.obj
            box = _inherited(obj, "/MediaBox")
            try:
                obj.MediaBox = pikepdf.Array([float(v) for v in box][:4]) if box else \
                    pikepdf.Array(A4)
            except (TypeError, ValueError):
                obj.MediaBox = pikepdf.Array(A4)
            resources = _inherited(obj, "/Resources")
            obj.Resources = resources if isinstance(resources, pikepdf.Dictionary) else \
                pikepdf.Dictionary()
            rotate = _inherited(obj, "/Rotate")
            if "/Rotate" in obj:
                del obj.Rotate
            if isinstance(rotate, int) and int(rotate) % 90 == 0:
                obj.Rotate = int(rotate) % 360
            obj.Parent = tree
            flat.append(obj)
        tree.Kids = pikepdf.Array(flat)
        tree.Count = len(flat)
        pdf.save(target, fix_metadata_version=True, compress_streams=True)
    _check_append(target, pages)
    if text_out:
        _write_text(text_out, lambda: _pdf_text(target))
    return {"ok": True, "pages": pages}


def _inherited(obj, key: str):
    """The value of `key` on a page or the nearest ancestor that has it (loops stop)."""
    seen, node = set(), obj
    while node is not None and node.objgen not in seen and len(seen) < 64:
        if key in node:
            return node[key]
        seen.add(node.objgen)
        node = node.get("/Parent")
    return None


class _Discard(io.RawIOBase):
    """Where the check's output goes: counted, not kept."""

    def __init__(self) -> None:
        self.position = 0

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.position += len(data)
        return len(data)

    def tell(self) -> int:
        return self.position


CHECK_BATCH = 8  # pages appended per throwaway writer: memory stays at a few pages' worth


def _check_append(path: str, pages: int) -> None:
    """Append the normalised file to a blank page with pyHanko, as the signed export does, a
    few pages at a time, read from disk and written nowhere: a 100 MB PDF is never held whole
    (the export itself appends them all at once, in its own budget)."""
    import pikepdf
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    blank = io.BytesIO()
    with pikepdf.new() as base:
        base.add_blank_page(page_size=(595, 842))
        base.save(blank)
    for start in range(0, pages, CHECK_BATCH):
        # A new reader each time too: a reader keeps every object it has read.
        with open(path, "rb") as fh:
            writer = IncrementalPdfFileWriter(io.BytesIO(blank.getvalue()), strict=False)
            append_pages(writer, fh, range(start, min(pages, start + CHECK_BATCH)))
            writer.write(_Discard())
        del writer
        gc.collect()  # the reader's and writer's objects refer to each other in cycles


def _docx(source: str, text_out: str | None = None) -> dict:
    import mammoth

    with open(source, "rb") as fh:
        result = mammoth.convert_to_html(fh, convert_image=mammoth.images.img_element(
            lambda image: {"alt": image.alt_text or "image", "src": ""}))
    html = result.value
    if text_out:
        _write_text(text_out, lambda: _html_text(html))
    return {"ok": True, "html": html[:HTML_LIMIT], "cut": len(html) > HTML_LIMIT}


def _eml(source: str, text_out: str | None = None) -> dict:
    import re
    from email import policy
    from email.parser import BytesParser

    with open(source, "rb") as fh:
        message = BytesParser(policy=policy.default).parse(fh)
    headers = [(k, str(message[k])) for k in ("From", "To", "Cc", "Date", "Subject")
               if message[k]]
    parts = 0
    for _ in message.walk():
        parts += 1
        if parts > MAX_PARTS:
            return {"ok": False, "reason": f"more than {MAX_PARTS} parts"}
    body = message.get_body(preferencelist=("plain", "html"))
    text = html = ""
    if body is not None:
        content = body.get_content()
        if body.get_content_type() == "text/html":
            html = content[:HTML_LIMIT]
        else:
            text = content[:READ_LIMIT]
    attachments = []
    for attachment in message.iter_attachments():
        # The name is for display only (it can be a path such as ../../x): the parent cleans it.
        name = re.split(r"[\\/]", attachment.get_filename() or "unnamed")[-1]
        payload = attachment.get_payload(decode=True) or b""
        attachments.append((name, f"{attachment.get_content_type()}, {len(payload):,} bytes"))
    if text_out:
        _write_text(text_out, lambda: _email_text(headers, body, attachments))
    return {"ok": True, "headers": headers, "text": text, "html": html,
            "attachments": attachments}


def _pdftext(source: str, target: str) -> dict:
    """Only the text of a PDF uploaded before text was kept."""
    _write_text(target, lambda: _pdf_text(source))
    return {"ok": True}


def _limit(memory_mb: int, seconds: int, file_mb: int) -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (memory_mb << 20, memory_mb << 20))
    resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds + 1))
    resource.setrlimit(resource.RLIMIT_FSIZE, (file_mb << 20, file_mb << 20))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


PREVIEW_WIDTH = 1000  # pixels: readable on a desktop, light enough for a phone


def _page(source: str, target: str, number: str) -> dict:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(source)
    try:
        count, index = len(pdf), int(number) - 1
        if not 0 <= index < count:
            return {"ok": False, "reason": "no such page", "pages": count}
        page = pdf[index]
        width = page.get_width() or 1
        image = page.render(scale=min(2.0, PREVIEW_WIDTH / width)).to_pil()
        image.save(target, "PNG", optimize=True)
        return {"ok": True, "pages": count}
    finally:
        pdf.close()


def _text(source: str) -> dict:
    """The text of a PDF's pages, for quoting passages."""
    text, cut = _pdf_text(source)
    return {"ok": True, "text": text, "cut": cut}


PRINT_QUALITY = 85


def _print_image(source: str, target: str, size: str) -> dict:
    from PIL import Image, ImageOps

    Image.MAX_IMAGE_PIXELS = 100_000_000  # as at upload: a bomb stops here, not in memory
    longest = int(size)
    with Image.open(source) as img:
        scale = min(1.0, longest / max(img.size))
        # A JPEG decodes at 1/2, 1/4 or 1/8 of its size for a fraction of the memory and time;
        # draft() keeps it at least as large as asked, so the resize below still does the rest.
        img.draft("RGB", (max(1, round(img.width * scale)), max(1, round(img.height * scale))))
        try:
            upright = ImageOps.exif_transpose(img)  # decodes the picture
        except OSError as exc:  # truncated, or corrupt inside (Pillow raises OSError)
            return {"ok": False, "reason": "its picture data is damaged or incomplete (it may "
                                           f"have been only partly saved: {_short(exc)})"}
        upright.thumbnail((longest, longest), Image.Resampling.LANCZOS)
        if upright.mode in ("RGBA", "LA", "PA") or "transparency" in upright.info:
            rgba = upright.convert("RGBA")
            flat = Image.new("RGB", rgba.size, "white")
            flat.paste(rgba, mask=rgba.getchannel("A"))
            upright = flat
        elif upright.mode not in ("RGB", "L"):
            upright = upright.convert("RGB")
        # No EXIF, XMP or comments (where and when a photo was taken stay in the original,
        # attached as it is); the colour profile is kept, it is part of how the photo looks.
        upright.info = {}
        upright.save(target, "JPEG", quality=PRINT_QUALITY,
                     icc_profile=img.info.get("icc_profile"))
        return {"ok": True, "width": upright.width, "height": upright.height}


TASKS = {"pdf": _normalise_pdf, "docx": _docx, "eml": _eml, "page": _page,
         "image": _print_image, "text": _text, "pdftext": _pdftext}


def main(argv: list[str]) -> int:
    memory_mb, seconds, file_mb, task, *args = argv
    _limit(int(memory_mb), int(seconds), int(file_mb))
    sys.setrecursionlimit(2000)
    try:
        result = TASKS[task](*args)
    except MemoryError:
        result = {"ok": False, "reason": f"needs more than {memory_mb} MB of memory"}
    except RecursionError:
        result = {"ok": False, "reason": "nested too deeply"}
    except Exception as exc:  # any parser's failure on a hostile file is a verdict, not a crash
        result = {"ok": False, "reason": f"{type(exc).__name__}: {_short(exc)}"}
    sys.stdout.write(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
