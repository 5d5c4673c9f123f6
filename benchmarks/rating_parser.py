"""Exact-match rate of the rating parser on replies written for this benchmark (not unit-test cases).

    .venv/bin/python benchmarks/rating_parser.py [--show-errors]

Each line of ``benchmarks/data/rating_replies.jsonl`` is a reply with the
expected ``score`` (or null), ``kind`` and, for questions, ``topic``. A reply
is exact when score, kind and (if given) topic all match.

The set is split in two halves by a hash of the text. The *tuning* half is the
one whose errors may be looked at while changing the parser (``--show-errors``
prints only those); the *held-out* half is reported as figures only, so it
stays an honest estimate of replies nobody tuned for.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.rating import parse_reply  # noqa: E402

DATA = ROOT / "benchmarks" / "data" / "rating_replies.jsonl"


def half(text: str) -> str:
    """``tuning`` or ``held-out``, fixed by the text's hash so the split never drifts."""
    return "tuning" if hashlib.sha256(text.encode("utf-8")).digest()[0] % 2 == 0 else "held-out"


def exact(item: dict) -> bool:
    """True when the parser's score, kind and (for questions) topic are the expected ones."""
    got = parse_reply(item["text"])
    if (got.score, got.kind) != (item["score"], item["kind"]):
        return False
    return "topic" not in item or getattr(got, "topic", None) == item["topic"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--show-errors", action="store_true", help="print the tuning half's misses")
    args = ap.parse_args()
    items = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line.strip()]
    tally: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for item in items:
        part = half(item["text"])
        ok = exact(item)
        for key in ((part, item["kind"]), (part, "all")):
            tally[key][0] += ok
            tally[key][1] += 1
        if args.show_errors and part == "tuning" and not ok:
            got = parse_reply(item["text"])
            print(f"MISS {item['text']!r}: expected {item['score']}/{item['kind']}/{item.get('topic')}, "
                  f"got {got.score}/{got.kind}/{getattr(got, 'topic', None)}")
    kinds = sorted({k for _, k in tally if k != "all"}) + ["all"]
    print(f"{'kind':<12} {'tuning':>16} {'held-out':>16}")
    for kind in kinds:
        cells = []
        for part in ("tuning", "held-out"):
            ok, n = tally.get((part, kind), [0, 0])
            cells.append(f"{ok}/{n} {100 * ok / n:5.1f}%" if n else "-")
        print(f"{kind:<12} {cells[0]:>16} {cells[1]:>16}")


if __name__ == "__main__":
    main()
