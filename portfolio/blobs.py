"""Where the bytes live: a folder on this machine, or an S3 bucket every server shares.

A key is a relative path ("ab/cd/<sha256>", "portfolio-3/<digest>.pdf"). Every key is written
once: a key that exists is never overwritten (evidence keys are the hash of their bytes, export
keys the digest of what they sign, so a second writer has the same bytes). Whatever must read a
file from disk (the sandboxed parsers, WeasyPrint, zipfile, send_file with its Range support)
asks for `local(key)`: the folder's own file, or, for S3, a copy fetched into this server's
cache and checked against the hash it is stored under before anyone reads it.

S3 settings are boto3's own (AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
AWS_DEFAULT_REGION, ~/.aws/config): nothing here reads credentials itself.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

CHUNK = 1024 * 1024


class Missing(Exception):
    """No file under this key."""


class Changed(Exception):
    """The bytes under a content-addressed key no longer hash to it."""


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def remove_older(paths, older_than: float, now: float | None = None) -> int:
    """Unlink the files among `paths` not touched for `older_than` seconds; returns how many.
    A file another process removed first is skipped."""
    now = time.time() if now is None else now
    removed = 0
    for path in paths:
        try:
            if path.is_file() and now - path.stat().st_mtime > older_than:
                path.unlink()
                removed += 1
        except FileNotFoundError:
            continue
    return removed


def _checked(key: str) -> str:
    parts = PurePosixPath(key).parts
    if not key or key.startswith("/") or any(p in ("..", ".", "") for p in parts):
        raise ValueError(f"not a storage key: {key!r}")
    return key


class LocalBlobs:
    """Files in a folder: the embedded default."""

    remote = False

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)

    def describe(self) -> str:
        return str(self.root)

    def file(self, key: str) -> Path:
        return self.root / _checked(key)

    def exists(self, key: str) -> bool:
        return self.file(key).is_file()

    def size(self, key: str) -> int:
        try:
            return self.file(key).stat().st_size
        except FileNotFoundError:
            raise Missing(key) from None

    def put(self, key: str, source: Path, *, move: bool = False) -> None:
        target = self.file(key)
        if target.exists():
            if move:
                source.unlink(missing_ok=True)
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        if move:
            try:
                os.chmod(source, 0o440)
                os.replace(source, target)  # atomic: readers see the whole file or none
                return
            except OSError:  # another filesystem: copy it in instead
                pass
        fd, name = tempfile.mkstemp(dir=target.parent, suffix=".part")
        os.close(fd)
        try:
            shutil.copyfile(source, name)
            os.chmod(name, 0o440)
            os.replace(name, target)
        finally:
            Path(name).unlink(missing_ok=True)
        if move:
            source.unlink(missing_ok=True)

    def local(self, key: str, sha256: str | None = None) -> Path:
        found = self.file(key)
        if not found.is_file():
            raise Missing(key)
        return found

    def keys(self, prefix: str = "") -> Iterator[str]:
        base = self.root / prefix if prefix else self.root
        for path in sorted(base.rglob("*")) if base.is_dir() else []:
            if path.is_file() and not path.name.endswith(".part"):
                yield path.relative_to(self.root).as_posix()

    def hash(self, key: str) -> str:
        return sha256_of(self.local(key))

    def delete(self, key: str) -> None:
        self.file(key).unlink(missing_ok=True)

    def check(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)  # a new centre's store exists from the start
        if not os.access(self.root, os.R_OK | os.W_OK):
            raise OSError(f"{self.root} is not readable and writable")


class S3Blobs:
    """Objects in an S3-compatible bucket, under a prefix; read through a local cache."""

    remote = True

    def __init__(self, bucket: str, prefix: str, cache: str | os.PathLike, client=None):
        self.bucket, self.prefix = bucket, prefix.strip("/")
        self.cache = Path(cache)
        if client is None:
            import boto3
            from botocore.config import Config

            client = boto3.client("s3", config=Config(
                retries={"mode": "standard", "max_attempts": 4},
                connect_timeout=5, read_timeout=60))
        self.client = client

    def describe(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"

    def _name(self, key: str) -> str:
        return f"{self.prefix}/{_checked(key)}" if self.prefix else _checked(key)

    def _head(self, key: str) -> dict | None:
        from botocore.exceptions import ClientError

        try:
            return self.client.head_object(Bucket=self.bucket, Key=self._name(key))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise

    def exists(self, key: str) -> bool:
        return self._head(key) is not None

    def size(self, key: str) -> int:
        head = self._head(key)
        if head is None:
            raise Missing(key)
        return int(head["ContentLength"])

    def put(self, key: str, source: Path, *, move: bool = False) -> None:
        if not self.exists(key):
            # upload_file streams in parts: a 100 MB video never sits in memory.
            self.client.upload_file(str(source), self.bucket, self._name(key))
        if move:
            source.unlink(missing_ok=True)

    def local(self, key: str, sha256: str | None = None) -> Path:
        """This server's copy of the object, fetched once and checked against `sha256`."""
        copy = self.cache / _checked(key)
        if copy.is_file():
            os.utime(copy)  # recently used: the cache sweep keeps it
            return copy
        from botocore.exceptions import ClientError

        copy.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=copy.parent, suffix=".part")
        os.close(fd)
        try:
            try:
                self.client.download_file(self.bucket, self._name(key), name)
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey"):
                    raise Missing(key) from None
                raise
            if sha256 is not None and sha256_of(Path(name)) != sha256:
                raise Changed(key)
            os.replace(name, copy)
        finally:
            Path(name).unlink(missing_ok=True)
        return copy

    def keys(self, prefix: str = "") -> Iterator[str]:
        start = f"{self.prefix}/" if self.prefix else ""
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=start + prefix)
        for page in pages:
            for item in page.get("Contents", []):
                yield item["Key"][len(start):]

    def hash(self, key: str) -> str:
        """The sha256 of the object as stored, streamed (nothing cached)."""
        from botocore.exceptions import ClientError

        digest = hashlib.sha256()
        try:
            body = self.client.get_object(Bucket=self.bucket, Key=self._name(key))["Body"]
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey"):
                raise Missing(key) from None
            raise
        for chunk in body.iter_chunks(CHUNK):
            digest.update(chunk)
        return digest.hexdigest()

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._name(key))
        (self.cache / _checked(key)).unlink(missing_ok=True)

    def check(self) -> None:
        self.client.head_bucket(Bucket=self.bucket)

    def sweep_cache(self, older_than: float, now: float | None = None) -> int:
        """Forget cached copies not used for `older_than` seconds (the bucket keeps them)."""
        return remove_older(self.cache.rglob("*") if self.cache.is_dir() else [], older_than,
                            now)


def from_url(url: str, *, local_root: str | os.PathLike, part: str,
             cache: str | os.PathLike):
    """The blobs for one part of the store ("evidence" or "exports"): the folder `local_root`
    when STORAGE_URL is empty, else `s3://bucket/prefix` + "/" + part."""
    if not url:
        return LocalBlobs(local_root)
    parsed = urlsplit(url)
    if parsed.scheme != "s3" or not parsed.netloc:
        raise RuntimeError(f"STORAGE_URL must look like s3://bucket/prefix, not {url!r}")
    prefix = "/".join(p for p in (parsed.path.strip("/"), part) if p)
    return S3Blobs(parsed.netloc, prefix, Path(cache) / part)
