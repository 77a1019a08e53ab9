"""Content-addressed evidence store: files live at EVIDENCE_DIR/ab/cd/<sha256>.

Written to a temporary file in the store, fsynced, then renamed into place, so a crash never
leaves half a file under a real hash. The same bytes uploaded twice are stored once.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

CHUNK = 64 * 1024
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class TooLarge(Exception):
    pass


@dataclass(frozen=True)
class StagedFile:
    """An upload copied into the store's staging area, hashed, not yet committed."""

    path: Path
    sha256: str
    size: int


class EvidenceStore:
    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)
        self.staging = self.root / "staging"

    def path(self, sha256: str) -> Path:
        if not _SHA256.match(sha256):
            raise ValueError("not a sha256 hex digest")
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def stage(self, stream: BinaryIO, max_bytes: int) -> StagedFile:
        """Copy a stream to a staging file while hashing it; TooLarge past max_bytes."""
        self.staging.mkdir(parents=True, exist_ok=True)
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
        if target.exists():
            staged.path.unlink(missing_ok=True)
            return target
        target.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(staged.path, 0o440)
        os.replace(staged.path, target)
        return target

    def discard(self, staged: StagedFile) -> None:
        staged.path.unlink(missing_ok=True)
