"""The content-addressed evidence store: a file lives under the key ab/cd/<sha256>.

The bytes go to `blobs` (a folder on this machine by default, or an S3 bucket: blobs.py). An
upload is first staged on this machine's disk while it is hashed and parsed; committing it
writes it once under its hash, so the same bytes uploaded twice are stored once and a crash
never leaves half a file under a real hash. A PDF's repaired copy (what the export appends)
lives at normalised/ab/<sha256>.pdf, keyed by the original's hash; a photo's print copy (what the
export shows in the body: export/images.py) at print/ab/<sha256>-<size>px.jpg; the text of an
email, Word document or PDF (read for personal data: file_text.py) at text/ab/<sha256>.json.
Each can be made again from the original, and each is shared by every server. Previews of
pages are this server's own cache (they can always be drawn again). Staged files that outlive
their request (a crash between staging and commit) are swept away after an hour.

Reading checks the hash: a fetched copy from S3 before it is used, a local file once per
process (then again whenever its size or time changes). `flask store verify` re-hashes all.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import BinaryIO

from .blobs import Changed, LocalBlobs, Missing, remove_older, sha256_of

CHUNK = 64 * 1024
STALE_STAGING = 3600  # seconds: older staged files belong to no live request
SWEEP_EVERY = 600  # seconds between sweeps of the staging folder
CACHE_SECONDS = 24 * 3600  # an S3 copy unused this long leaves this server's cache
_SHA256 = re.compile(r"^[0-9a-f]{64}$")

__all__ = ["Changed", "EvidenceStore", "Missing", "StagedFile", "TooLarge"]


class TooLarge(Exception):
    pass


@dataclass(frozen=True)
class StagedFile:
    """An upload copied into the store's staging area, hashed, not yet committed."""

    path: Path
    sha256: str
    size: int
    normalised: Path | None = None  # a PDF's repaired copy, staged beside it
    text: Path | None = None  # its text as JSON (an email, Word document or PDF), beside it

    def with_normalised(self, path: Path | None) -> StagedFile:
        return replace(self, normalised=path if path is not None and path.exists() else None)

    def with_text(self, path: Path | None) -> StagedFile:
        return replace(self, text=path if path is not None and path.exists() else None)


def _key(sha256: str) -> str:
    if not _SHA256.match(sha256):
        raise ValueError("not a sha256 hex digest")
    return f"{sha256[:2]}/{sha256[2:4]}/{sha256}"


def _normalised_key(sha256: str) -> str:
    _key(sha256)  # the same check of the name
    return f"normalised/{sha256[:2]}/{sha256}.pdf"


def _text_key(sha256: str) -> str:
    _key(sha256)
    return f"text/{sha256[:2]}/{sha256}.json"


def _print_key(sha256: str, size: int) -> str:
    _key(sha256)
    # The size is in the name: a new print size makes new copies instead of serving old ones.
    return f"print/{sha256[:2]}/{sha256}-{int(size)}px.jpg"


class EvidenceStore:
    def __init__(self, blobs, work: str | os.PathLike | None = None):
        """`blobs` holds the files (a folder path means LocalBlobs of it); `work` is this
        server's own folder for staging and previews (default: the folder itself)."""
        self.blobs = LocalBlobs(blobs) if isinstance(blobs, str | os.PathLike) else blobs
        self.work = Path(work) if work is not None else self.blobs.root
        self.staging = self.work / "staging"
        self._swept = 0.0
        self._verified: dict[str, tuple[int, int]] = {}

    def describe(self) -> str:
        return self.blobs.describe()

    def key(self, sha256: str) -> str:
        return _key(sha256)

    def exists(self, sha256: str) -> bool:
        return self.blobs.exists(_key(sha256))

    def path(self, sha256: str) -> Path:
        """A file on this server's disk holding exactly the bytes stored under `sha256`.
        Missing when it is not stored; Changed when the stored bytes no longer match."""
        found = self.blobs.local(_key(sha256), sha256=sha256)
        if not self.blobs.remote:
            stat = found.stat()
            if self._verified.get(sha256) != (stat.st_size, stat.st_mtime_ns):
                if sha256_of(found) != sha256:
                    raise Changed(_key(sha256))
                self._verified[sha256] = (stat.st_size, stat.st_mtime_ns)
        return found

    def normalised(self, sha256: str) -> Path | None:
        """The repaired copy of the PDF with this hash, when one was made."""
        try:
            return self.blobs.local(_normalised_key(sha256))
        except Missing:
            return None

    def put_normalised(self, sha256: str, copy: Path) -> None:
        self.blobs.put(_normalised_key(sha256), copy, move=True)

    def text_copy(self, sha256: str) -> Path | None:
        """The text read from the file with this hash (JSON), when it was kept."""
        try:
            return self.blobs.local(_text_key(sha256))
        except Missing:
            return None

    def put_text(self, sha256: str, copy: Path) -> None:
        self.blobs.put(_text_key(sha256), copy, move=True)

    def print_copy(self, sha256: str, size: int) -> Path | None:
        """The print copy (at most `size` pixels on its long side) of the image with this hash,
        when one was made."""
        try:
            return self.blobs.local(_print_key(sha256, size))
        except Missing:
            return None

    def put_print_copy(self, sha256: str, size: int, copy: Path) -> None:
        self.blobs.put(_print_key(sha256, size), copy, move=True)

    def preview_path(self, sha256: str, page: int) -> Path:
        """Where this server keeps the picture of a PDF's page (a preview) once drawn."""
        _key(sha256)
        return self.work / "previews" / sha256[:2] / sha256 / f"{int(page)}.png"

    def sweep(self, now: float | None = None) -> int:
        """Remove staged files older than an hour (and, for S3, cached copies unused for a
        day); returns how many."""
        now = time.time() if now is None else now
        removed = remove_older(self.staging.glob("*") if self.staging.is_dir() else [],
                               STALE_STAGING, now)
        if self.blobs.remote:
            removed += self.blobs.sweep_cache(CACHE_SECONDS, now)
        self._swept = now
        return removed

    def stage(self, stream: BinaryIO, max_bytes: int) -> StagedFile:
        """Copy a stream to a staging file while hashing it; TooLarge past max_bytes."""
        self.staging.mkdir(parents=True, exist_ok=True)
        if time.time() - self._swept > SWEEP_EVERY:
            self.sweep()
        digest, size = hashlib.sha256(), 0
        fd, name = tempfile.mkstemp(dir=self.staging)
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := stream.read(CHUNK):
                    size += len(chunk)
                    if size > max_bytes:
                        raise TooLarge()
                    digest.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
        except BaseException:
            os.unlink(name)
            raise
        return StagedFile(path=Path(name), sha256=digest.hexdigest(), size=size)

    def commit(self, staged: StagedFile) -> None:
        """Store a staged file under its hash (once), with its repaired copy and its text if
        it has them."""
        if staged.normalised is not None:
            self.put_normalised(staged.sha256, staged.normalised)
        if staged.text is not None:
            self.put_text(staged.sha256, staged.text)
        self.blobs.put(_key(staged.sha256), staged.path, move=True)

    def put_file(self, path: Path) -> str:
        """Store a file already on disk (kept where it is); returns its hash."""
        sha256 = sha256_of(path)
        self.blobs.put(_key(sha256), path)
        return sha256

    def part(self, suffix: str = "") -> Path:
        """A new empty .part file in this server's work folder, for a file being made (an
        export, a ZIP); swept by sweep_parts should its writer die."""
        folder = self.work / "parts"
        folder.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=folder, suffix=suffix + ".part")
        os.close(fd)
        return Path(name)

    def sweep_parts(self, older_than: float, now: float | None = None) -> int:
        """Remove .part files older than any live writer (the longest job)."""
        folder = self.work / "parts"
        return remove_older(folder.glob("*.part") if folder.is_dir() else [], older_than, now)

    def erase(self, sha256: str) -> int:
        """Remove a file and every copy made from it (its repaired PDF, its text, its print
        copies, this server's pictures of its pages), when no record names the hash any more:
        its records erased after their retention period, or its personal data redacted. How
        many objects went."""
        prints = f"print/{sha256[:2]}/"
        keys = [_key(sha256), _normalised_key(sha256), _text_key(sha256)] + [
            k for k in self.blobs.keys(prints) if k.startswith(f"{prints}{sha256}-")]
        gone = 0
        for key in keys:
            if self.blobs.exists(key):
                self.blobs.delete(key)
                gone += 1
        shutil.rmtree(self.work / "previews" / sha256[:2] / sha256, ignore_errors=True)
        self._verified.pop(sha256, None)
        return gone

    def discard(self, staged: StagedFile) -> None:
        staged.path.unlink(missing_ok=True)
        for copy in (staged.normalised, staged.text):
            if copy is not None:
                copy.unlink(missing_ok=True)
