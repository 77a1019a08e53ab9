"""How long one ranking takes on the longest texts a learner can give it, hostile or not.

    .venv/bin/python bench/suggest_long.py            # 3 rounds
    .venv/bin/python bench/suggest_long.py --runs 5

The texts, each cut at MAX_CHARS (50,000 characters) as rank() cuts them: ordinary prose in
one paragraph, "A. " over and over (every stop after an initial, so one sentence), "Ab. Cd "
over and over (7,000 tiny sentences, of which MAX_SENTENCES are read), and an email of quoted
lines. Per ranker (lexical; embedding and combined with the model extra) and text: the median
and min-max over rounds of wall and CPU ms, the methods' order rotating from text to text, in
one process after warm-up. Before the look-back was bounded, splitting "A. " alone took 11 s.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PROSE = ("I listened to the customer without interrupting, then said back what I had heard, "
         "and agreed a replacement within my authority. ")
TEXTS = {"prose": PROSE * 400, "initials": "A. " * 17_000, "tiny sentences": "Ab. Cd " * 8_000,
         "quoted email": "> I rang him back and he was happy. " * 1_500}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    from portfolio import suggest
    from portfolio.spec import load_unit
    from portfolio.suggest import embedding

    unit = load_unit(ROOT / "criteria" / "unit-40.toml")
    methods = ["lexical"] + (["embedding", "combined"] if embedding.installed() is None else [])
    for method in methods:
        suggest.rank(unit, PROSE, method=method)  # warm: the model and criterion vectors
    times: dict[tuple[str, str], list[tuple[float, float]]] = {}
    sentences: dict[str, int] = {}
    for n in range(args.runs):
        for k, (name, text) in enumerate(TEXTS.items()):
            order = methods[(n + k) % len(methods):] + methods[:(n + k) % len(methods)]
            for method in order:
                wall, cpu = time.perf_counter(), time.process_time()
                ranking = suggest.rank(unit, text, method=method)
                times.setdefault((name, method), []).append(
                    ((time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000))
                sentences[name] = ranking.sentences
    print(f"One ranking of a long text, {args.runs} rounds (ms, median (min-max))")
    print(f"{'text':15} {'sentences':>9} {'ranker':9} {'wall ms':>24} {'CPU ms':>24}")
    for (name, method), rows in times.items():
        walls, cpus = [w for w, _ in rows], [c for _, c in rows]
        print(f"{name:15} {sentences[name]:9} {method:9} "
              f"{statistics.median(walls):9.1f} ({min(walls):.1f}-{max(walls):.1f})".ljust(60)
              + f"{statistics.median(cpus):9.1f} ({min(cpus):.1f}-{max(cpus):.1f})")


if __name__ == "__main__":
    main()
