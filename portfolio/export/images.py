"""Print copies: what the PDF's body shows of a photo.

A phone photo (3000x2000, 2-3 MB) printed in the body column would carry ten times the pixels
the page can show; the body gets a copy at print resolution instead, and the original is
attached to the PDF untouched. The column is A4 less 18 mm margins, 174 mm wide, and an image
may be 200 mm tall (static/export.css): PRINT_SIZE pixels on the long side is about 160 dpi
across the column and 140 dpi at full height.

The copy is made in the sandbox (a photo is decoded there, under its limits) at the first
export that needs it, and kept in the evidence store by the original's hash, so every later
export, on any server, reuses it. An image that is already small and upright is shown as it is.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from .. import sandbox

PRINT_SIZE = 1100  # pixels on the long side
ORIENTATION = 0x0112  # the EXIF tag a phone sets instead of turning the pixels


def _fits(original: Path) -> bool:
    """Small enough and upright as stored: reads only the header (opened once at upload)."""
    with Image.open(original) as img:
        return max(img.size) <= PRINT_SIZE and img.getexif().get(ORIENTATION, 1) == 1


def print_copy(store, sha256: str, original: Path) -> Path:
    """The file the body shows for this image: the original if it fits, else its print copy,
    made now if no export made it before. ParseFailed when the image cannot be read."""
    if _fits(original):
        return original
    copy = store.print_copy(sha256, PRINT_SIZE)
    if copy is None:
        made = store.part(".jpg")
        try:
            sandbox.run("image", original, made, extra=(str(PRINT_SIZE),))
            store.put_print_copy(sha256, PRINT_SIZE, made)
        finally:
            made.unlink(missing_ok=True)
        copy = store.print_copy(sha256, PRINT_SIZE)
    return copy
