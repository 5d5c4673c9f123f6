"""Print the count tables of classifiers/data/DATACARD.md (markdown).

    .venv/bin/python -m classifiers.training.datacard [--data DIR]
"""
from __future__ import annotations

import argparse
import json
import re
from collections import Counter
from pathlib import Path

from zhtext.normalize import to_simplified

from ..labels import LABELS
from .dataset import DEFAULT_DATA_DIR, load_dataset

_EMOJI = re.compile("[\U0001f300-\U0001faff\u2600-\u27bf]")
_LATIN = re.compile(r"[A-Za-z]{2,}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=None)
    args = ap.parse_args(argv)
    data_dir = Path(args.data) if args.data else DEFAULT_DATA_DIR
    ds = load_dataset(data_dir, strict_splits=False)
    counts = ds.counts()
    print(f"Data hash `{ds.data_hash[:16]}`; {ds.stats.get('lines', 0)} lines → {len(ds.items)} items "
          f"({ds.stats.get('duplicates_dropped', 0)} duplicates dropped, {ds.stats.get('conflicting_lines', 0)} "
          f"lines with conflicting labels dropped, {ds.stats.get('bad_json', 0) + ds.stats.get('unknown_label', 0) + ds.stats.get('empty_text', 0)} malformed).\n")
    print("| label | train | dev | test | total |")
    print("|---|---:|---:|---:|---:|")
    tot: Counter[str] = Counter()
    for lab in LABELS:
        c = counts[lab]
        tot.update(c)
        print(f"| `{lab}` | {c['train']} | {c['dev']} | {c['test']} | {sum(c.values())} |")
    print(f"| **all** | {tot['train']} | {tot['dev']} | {tot['test']} | {sum(tot.values())} |\n")

    raw = []
    for f in sorted(data_dir.glob("*.jsonl")):
        for line in f.read_text(encoding="utf-8").splitlines():
            try:
                o = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(o, dict) and isinstance(o.get("text"), str):
                raw.append(o)
    n = max(1, len(raw))
    lens = sorted(len(o["text"]) for o in raw)
    trad = sum(1 for o in raw if to_simplified(o["text"]) != o["text"])
    emoji = sum(1 for o in raw if _EMOJI.search(o["text"]))
    latin = sum(1 for o in raw if _LATIN.search(o["text"]))
    print("| property of the raw lines | value |")
    print("|---|---:|")
    print(f"| lines | {len(raw)} |")
    print(f"| length in characters: median / 90th pct / max | {lens[len(lens) // 2]} / {lens[int(len(lens) * 0.9)]} / {lens[-1]} |")
    print(f"| with Traditional characters | {trad} ({trad / n:.1%}) |")
    print(f"| with emoji | {emoji} ({emoji / n:.1%}) |")
    print(f"| with Latin words | {latin} ({latin / n:.1%}) |")
    ind = Counter(o.get("industry", "unknown") for o in raw)
    print(f"| industries | {len(ind)} |\n")
    print("| industry | lines |")
    print("|---|---:|")
    for k, v in ind.most_common():
        print(f"| {k} | {v} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
