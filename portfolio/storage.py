"""Content-addressed evidence store: files live at EVIDENCE_DIR/ab/cd/<sha256>.

Written to a temporary file in the store, fsynced, then renamed into place, so a crash never
leaves half a file under a real hash. The same bytes uploaded twice are stored once. A PDF's
repaired copy (what the export appends) lives beside it at normalised/ab/<sha256>.pdf, keyed
by the original's hash. Staged files that outlive their request (a crash between staging and
commit) are swept away after an hour.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import BinaryIO

CHUNK = 64 * 1024
STALE_STAGING = 3600  # seconds: older staged files belong to no live request
SWEEP_EVERY = 600  # seconds between sweeps of the staging folder
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class TooLarge(Exception):
    pass


@dataclass(frozen=True)
class StagedFile:
    """An upload copied into the store's staging area, hashed, not yet committed."""

    path: Path
    sha256: str
    size: int
    normalised: Path | None = None  # a PDF's repaired copy, staged beside it

    def with_normalised(self, path: Path | None) -> StagedFile:
        return replace(self, normalised=path if path is not None and path.exists() else None)


class EvidenceStore:
    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)
        self.staging = self.root / "staging"
        self._swept = 0.0

    def path(self, sha256: str) -> Path:
        if not _SHA256.match(sha256):
            raise ValueError("not a sha256 hex digest")
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def normalised_path(self, sha256: str) -> Path:
        """Where the repaired copy of the PDF with this hash is kept."""
        self.path(sha256)  # the same check of the name
        return self.root / "normalised" / sha256[:2] / f"{sha256}.pdf"

    def preview_path(self, sha256: str, page: int) -> Path:
        """Where the picture of a PDF's page (a preview) is kept once drawn."""
        self.path(sha256)
        return self.root / "previews" / sha256[:2] / sha256 / f"{int(page)}.png"

    def sweep(self, now: float | None = None) -> int:
        """Remove staged files older than an hour; returns how many."""
        now = time.time() if now is None else now
        removed = 0
        for leftover in self.staging.glob("*") if self.staging.is_dir() else []:
            try:
                if now - leftover.stat().st_mtime > STALE_STAGING:
                    leftover.unlink()
                    removed += 1
            except FileNotFoundError:  # another request's own cleanup got there first
                continue
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

    def commit(self, staged: StagedFile) -> Path:
        """Move a staged file to its content address (atomic rename within one filesystem)."""
        target = self.path(staged.sha256)
        if staged.normalised is not None:
            copy = self.normalised_path(staged.sha256)
            copy.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staged.normalised, copy)
        if target.exists():
            staged.path.unlink(missing_ok=True)
            return target
        target.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(staged.path, 0o440)
        os.replace(staged.path, target)
        return target

    def discard(self, staged: StagedFile) -> None:
        staged.path.unlink(missing_ok=True)
        if staged.normalised is not None:
            staged.normalised.unlink(missing_ok=True)
