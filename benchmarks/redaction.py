"""Figures of :func:`zhtext.redact.redact`: cost per message, false positives, recall.

    .venv/bin/python benchmarks/redaction.py [--repeat N]

* cost: every text of the classifier corpus (``classifiers/data/items/*.jsonl``)
  redacted ``N`` times (default 5); mean and p99 of the per-message time in µs
  (each message timed over the ``N`` repeats, its median taken);
* false positives: how many sentences of ``benchmarks/data/redaction_negatives.jsonl``
  (hand-written ordinary sentences with numbers and place words) change at all,
  and how many corpus texts change (and texts of the challenge, independent
  evaluation and rating-reply sets), each listed with its redacted form so a
  reader can judge it;
Rows marked ``"split": "heldout"`` were written after the recognisers were
tuned on the others and are reported on their own as well.

* recall: the share of ``benchmarks/data/redaction_positives.jsonl`` sentences
  (hand-written, with personal data) from which every listed substring vanished,
  by kind; the misses are listed.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from zhtext.redact import redact  # noqa: E402

DATA = ROOT / "benchmarks" / "data"


def _rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.open(encoding="utf-8") if line.strip()]


def cost(texts: list[str], repeat: int) -> None:
    per_message = []
    for text in texts:
        runs = []
        for _ in range(repeat):
            t0 = time.perf_counter_ns()
            redact(text)
            runs.append(time.perf_counter_ns() - t0)
        per_message.append(statistics.median(runs) / 1000)
    per_message.sort()
    p99 = per_message[int(0.99 * (len(per_message) - 1))]
    print(f"cost on {len(texts)} corpus texts: mean {statistics.fmean(per_message):.1f} µs, "
          f"median {statistics.median(per_message):.1f} µs, p99 {p99:.1f} µs, max {per_message[-1]:.1f} µs "
          "(target: mean under 200 µs)")


def false_positives(name: str, texts: list[str]) -> None:
    changed = [(t, r) for t in texts if (r := redact(t)) != t]
    print(f"{name}: {len(changed)}/{len(texts)} texts changed ({len(changed) / len(texts):.2%})")
    for text, out in changed:
        print(f"  {text!r}\n    -> {out!r}")


def recall(rows: list[dict]) -> None:
    total: Counter[str] = Counter()
    hit: Counter[str] = Counter()
    misses: list[tuple[str, str, list[str]]] = []
    for row in rows:
        out = redact(row["text"])
        total[row["kind"]] += 1
        left = [v for v in row["vanish"] if v in out]
        if left:
            misses.append((row["text"], out, left))
        else:
            hit[row["kind"]] += 1
    print(f"recall on positives: {sum(hit.values())}/{sum(total.values())} "
          f"({sum(hit.values()) / sum(total.values()):.2%}) sentences with every listed substring gone")
    for kind in sorted(total):
        print(f"  {kind:10s} {hit[kind]}/{total[kind]}")
    for text, out, left in misses:
        print(f"  MISS {text!r} -> {out!r}, left: {left}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    corpus = [r["text"] for p in sorted((ROOT / "classifiers" / "data" / "items").glob("*.jsonl")) for r in _rows(p)]
    redact("预热 138 1234 5678")  # compile-time work out of the figures
    cost(corpus, args.repeat)
    negatives = _rows(DATA / "redaction_negatives.jsonl")
    false_positives("negatives (redaction_negatives.jsonl), all", [r["text"] for r in negatives])
    false_positives("  of which held out", [r["text"] for r in negatives if r.get("split") == "heldout"])
    false_positives("classifier corpus (classifiers/data/items)", corpus)
    others = {  # other hand-written customer texts of the project: judged the same way
        "challenge set": [ROOT / "classifiers" / "data" / "challenge" / "challenge.jsonl"],
        "independent evaluation sets": sorted(DATA.glob("independent_eval*.jsonl")),
        "rating replies": [DATA / "rating_replies.jsonl"],
    }
    for name, paths in others.items():
        false_positives(name, [r["text"] for p in paths for r in _rows(p)])
    positives = _rows(DATA / "redaction_positives.jsonl")
    recall(positives)
    print("held-out part:", end=" ")
    recall([r for r in positives if r.get("split") == "heldout"])


if __name__ == "__main__":
    main()
