"""The original evidence files, attached inside the signed PDF as they were uploaded.

They go into the same incremental update as the appended PDFs and the signature (pdf.py), not
through WeasyPrint, which reads each file whole into memory and Flate-compresses it: for a
JPEG that is seconds of work for a fraction of a percent. Here a photo, a PNG, a Word document
(a ZIP) or a PDF is already compressed and goes in as it is, with no filter; text, CSV and
email are Flate-compressed. Either way the bytes are copied from disk in chunks while the PDF
is written, so a file never sits whole in memory.

Each file is an embedded file (its MIME type, size and MD5 checksum), with a file
specification giving its name, a description and the relationship /Source, listed in the
document's EmbeddedFiles name tree (sorted by name, as name trees must be) and in the
catalog's /AF array (associated files).
"""

from __future__ import annotations

import hashlib
import shutil
import zlib
from contextlib import nullcontext
from pathlib import Path

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.generic import pdf_name
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfWriteError

from ..uploads import CSV, EML, TEXT
from .document import Attachment

CHUNK = 1024 * 1024
DEFLATED = {TEXT, CSV, EML}  # worth compressing; everything else we accept already is


class FileStream(generic.StreamObject):
    """A stream whose (already encoded) bytes are a file on disk, copied when written."""

    def __init__(self, dict_data: dict, source: Path):
        super().__init__(dict_data)
        self._source = source

    def write_to_stream(self, stream, handler=None, container_ref=None):
        if handler is not None:  # our exports are never encrypted
            raise PdfWriteError("an attached file cannot be written into an encrypted PDF")
        self[pdf_name("/Length")] = generic.NumberObject(self._source.stat().st_size)
        generic.DictionaryObject.write_to_stream(self, stream, handler, container_ref)
        del self["/Length"]
        stream.write(b"\nstream\n")
        with self._source.open("rb") as fh:
            shutil.copyfileobj(fh, stream, CHUNK)
        stream.write(b"\nendstream")


def _read(path: Path, deflated: Path | None) -> tuple[int, bytes]:
    """One pass over the original: its size and MD5, and its compressed copy if asked for."""
    md5, size = hashlib.md5(usedforsecurity=False), 0
    packer = zlib.compressobj(6) if deflated is not None else None
    with path.open("rb") as fh, (deflated.open("wb") if deflated else nullcontext()) as out:
        while chunk := fh.read(CHUNK):
            size += len(chunk)
            md5.update(chunk)
            if packer is not None:
                out.write(packer.compress(chunk))
        if packer is not None:
            out.write(packer.flush())
    return size, md5.digest()


def _embedded(writer: IncrementalPdfFileWriter, item: Attachment, scratch: Path,
              number: int) -> generic.IndirectObject:
    deflated = scratch / f"{number}.z" if item.mime_type in DEFLATED else None
    size, md5 = _read(item.path, deflated)
    entries = {
        pdf_name("/Type"): pdf_name("/EmbeddedFile"),
        pdf_name("/Subtype"): pdf_name("/" + item.mime_type),  # written as /image#2Fjpeg
        pdf_name("/Params"): generic.DictionaryObject({
            pdf_name("/Size"): generic.NumberObject(size),
            pdf_name("/CheckSum"): generic.ByteStringObject(md5)}),
    }
    if deflated is not None:
        entries[pdf_name("/Filter")] = pdf_name("/FlateDecode")
    stream_ref = writer.add_object(FileStream(entries, deflated or item.path))
    return writer.add_object(generic.DictionaryObject({
        pdf_name("/Type"): pdf_name("/Filespec"),
        pdf_name("/F"): generic.TextStringObject(item.name),
        pdf_name("/UF"): generic.TextStringObject(item.name),
        pdf_name("/EF"): generic.DictionaryObject({pdf_name("/F"): stream_ref,
                                                   pdf_name("/UF"): stream_ref}),
        pdf_name("/Desc"): generic.TextStringObject(item.description),
        pdf_name("/AFRelationship"): pdf_name("/Source"),
    }))


def attach_files(writer: IncrementalPdfFileWriter, attachments: list[Attachment],
                 scratch: Path) -> None:
    """Add every attachment to the update; `scratch` is a folder for compressed copies that
    must outlive the writing of the PDF."""
    if not attachments:
        return
    specs = [(item.name, _embedded(writer, item, scratch, number))
             for number, item in enumerate(attachments)]
    specs.sort(key=lambda pair: pair[0])
    tree = writer.add_object(generic.DictionaryObject({pdf_name("/Names"): generic.ArrayObject(
        value for name, spec in specs for value in (generic.TextStringObject(name), spec))}))
    root = writer.root
    if "/Names" in root:
        names = root["/Names"]  # WeasyPrint's, holding the named destinations
        names[pdf_name("/EmbeddedFiles")] = tree
        writer.update_container(names)
    else:
        root[pdf_name("/Names")] = generic.DictionaryObject({pdf_name("/EmbeddedFiles"): tree})
    root[pdf_name("/AF")] = writer.add_object(generic.ArrayObject(spec for _, spec in specs))
    writer.update_root()
