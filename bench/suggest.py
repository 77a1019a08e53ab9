"""Measure the criteria suggestions on the labelled set in bench/suggest_set/.

    .venv/bin/python bench/suggest.py                # figures on TEST, then on TUNING
    .venv/bin/python bench/suggest.py --runs 5       # more timing rounds
    .venv/bin/python bench/suggest.py --tune         # search the constants on TUNING only
    .venv/bin/python bench/suggest.py --calibrate    # the confidence rule from TUNING only

Per method (lexical, embedding, combined), for each half of the set: recall@3 and recall@5 (per
item, the share of its labelled criteria found in the top 3 or 5, averaged over items), the
precision of the top suggestion (the share of items whose first suggestion is labelled), and
how often each confidence word was right. Then the time per item after warm-up: every round
runs every item once by every method, the methods' order rotating from item to item (a busy
spell on this shared machine falls on each method in turn), and prints the median and the
spread (10th-90th percentile, min-max) of wall and CPU milliseconds. Then the model's memory,
in a fresh process: resident memory (RSS) growth from before the model's import to after it is
loaded and has ranked one item, and the peak (VmHWM) after ranking every item.
The split is fixed by file: tuning.toml for choosing constants, test.toml for reporting.
Without the model extra, only the lexical figures are printed.
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
import subprocess
import sys
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SET = Path(__file__).resolve().parent / "suggest_set"
METHODS = ("lexical", "embedding", "combined")


def load_set(name: str) -> list[dict]:
    return tomllib.loads((SET / f"{name}.toml").read_text(encoding="utf-8"))["items"]


def unit():
    from portfolio.spec import load_unit

    return load_unit(ROOT / "criteria" / "unit-40.toml")


def metrics(rankings: list[list[str]], items: list[dict]) -> dict:
    """recall@3, recall@5 and precision@1 of ranked criterion ids against the labels."""
    def recall(k):
        return statistics.mean(len(set(r[:k]) & set(i["meets"])) / len(i["meets"])
                               for r, i in zip(rankings, items, strict=True))
    top = statistics.mean(r[0] in i["meets"] for r, i in zip(rankings, items, strict=True))
    return {"r3": recall(3), "r5": recall(5), "p1": top}


def confidence_table(results, items) -> dict[str, tuple[int, int]]:
    """Per confidence word, (right, given) over every suggestion of every item."""
    table = {"strong": [0, 0], "some": [0, 0], "weak": [0, 0]}
    for ranking, item in zip(results, items, strict=True):
        for s in ranking.suggestions:
            table[s.confidence][1] += 1
            table[s.confidence][0] += s.criterion_id in item["meets"]
    return {k: tuple(v) for k, v in table.items()}


def available_methods() -> list[str]:
    from portfolio.suggest import embedding

    return list(METHODS) if embedding.installed() is None else ["lexical"]


def figures(u, methods: list[str]) -> None:
    from portfolio import suggest

    for half in ("test", "tuning"):
        items = load_set(half)
        print(f"\n{half.upper()} ({len(items)} items, {sum(len(i['meets']) for i in items)} "
              f"labels)")
        print(f"{'method':<10} {'recall@3':>8} {'recall@5':>8} {'top is right':>12}   "
              "confidence words right/given: strong, some, weak")
        for m in methods:
            results = [suggest.rank(u, i["text"], method=m, method_id=i["method"])
                       for i in items]
            got = metrics([[s.criterion_id for s in r.suggestions] for r in results], items)
            conf = confidence_table(results, items)
            words = ", ".join(f"{a}/{b}" for a, b in conf.values())
            print(f"{m:<10} {got['r3']:>8.2f} {got['r5']:>8.2f} {got['p1']:>12.2f}   {words}")


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def timings(u, methods: list[str], runs: int) -> None:
    from portfolio import suggest

    items = load_set("test") + load_set("tuning")
    for m in methods:  # warm-up: the model loaded, the criterion vectors computed, caches hot
        for item in items[:3]:
            suggest.rank(u, item["text"], method=m)
    wall = {m: [] for m in methods}
    cpu = {m: [] for m in methods}
    turn = itertools.count()
    for _ in range(runs):
        for item in items:
            shift = next(turn) % len(methods)
            for m in methods[shift:] + methods[:shift]:
                w, c = time.perf_counter(), time.process_time()
                suggest.rank(u, item["text"], method=m)
                cpu[m].append((time.process_time() - c) * 1000)
                wall[m].append((time.perf_counter() - w) * 1000)
    sentences = statistics.median(len(suggest.split(i["text"])) for i in items)
    chars = statistics.median(len(i["text"]) for i in items)
    print(f"\nTime per item after warm-up: {runs} rounds x {len(items)} items (median "
          f"{sentences:.0f} sentences, {chars:.0f} characters), ms: median (10th-90th "
          "percentile; min-max)")
    print(f"{'method':<10} {'wall':>32} {'CPU':>32}")
    for m in methods:
        cells = []
        for v in (wall[m], cpu[m]):
            cells.append(f"{statistics.median(v):.1f} ({_percentile(v, .1):.1f}-"
                         f"{_percentile(v, .9):.1f}; {min(v):.1f}-{max(v):.1f})")
        print(f"{m:<10} {cells[0]:>32} {cells[1]:>32}")
    print("(CPU time counts every thread: numpy's BLAS computes on both cores, so CPU can "
          "exceed wall)")


def _status() -> dict[str, int]:
    out = {}
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM", "RssAnon", "RssFile"):
                out[key] = int(value.split()[0]) // 1024
    return out


def memory_child() -> dict:
    """In a fresh process: RSS before and after the model, and the peak after every item."""
    u = unit()
    from portfolio import suggest

    items = load_set("test") + load_set("tuning")
    suggest.rank(u, items[0]["text"], method="lexical")
    before = _status()
    t = time.perf_counter()
    suggest.rank(u, items[0]["text"], method="embedding")
    load_seconds = time.perf_counter() - t
    loaded = _status()
    for item in items:
        suggest.rank(u, item["text"], method="combined")
    after = _status()
    return {"before": before, "loaded": loaded, "after": after, "load_seconds": load_seconds}


def memory() -> None:
    done = subprocess.run([sys.executable, __file__, "--memory-child"],  # noqa: S603
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"memory child: exit {done.returncode}\n{done.stderr[-3000:]}")
    r = json.loads(done.stdout.strip().splitlines()[-1])
    growth = r["loaded"]["VmRSS"] - r["before"]["VmRSS"]
    anon = r["loaded"]["RssAnon"] - r["before"]["RssAnon"]
    print(f"\nModel memory (fresh process, from first use, {r['load_seconds']:.1f} s to import, "
          "load and rank one item):")
    print(f"  RSS {r['before']['VmRSS']} MB before the model, {r['loaded']['VmRSS']} MB after: "
          f"growth {growth} MB ({anon} MB of it private, the rest shared library pages)")
    print(f"  peak (VmHWM) after ranking all {len(load_set('test')) + len(load_set('tuning'))} "
          f"items: {r['after']['VmHWM']} MB; growth over the start: "
          f"{r['after']['VmHWM'] - r['before']['VmRSS']} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="timing rounds")
    parser.add_argument("--tune", action="store_true", help="search constants on TUNING")
    parser.add_argument("--calibrate", action="store_true",
                        help="the confidence rule from TUNING")
    parser.add_argument("--memory-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        print(json.dumps(memory_child()))
        return
    if args.tune or args.calibrate:
        import suggest_tune

        suggest_tune.main(unit(), load_set("tuning"), calibrate_only=args.calibrate)
        return
    import os
    import platform

    u = unit()
    methods = available_methods()
    print(f"Criteria suggestions on {u.name}: {time.strftime('%Y-%m-%d')}, "
          f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}")
    if methods == ["lexical"]:
        print("The model extra is not installed: lexical only.")
    figures(u, methods)
    timings(u, methods, args.runs)
    if "embedding" in methods:
        memory()


if __name__ == "__main__":
    main()

