"""Leave-one-writer-out check of the cause-classifier pipeline.

Each named data file (one writer's items, all 12 labels) is removed from the
training data in turn; the pipeline is trained on the rest (train split, dev for
weights and thresholds, exactly as `feedbackbot classifier train`) and scored on
the held-out writer's whole file. Text by a writer the model never saw is the
closest proxy we have for the hidden evaluation set. Usage:

    .venv/bin/python benchmarks/leave_one_writer_out.py [FILE ...]

Without arguments, every `classifiers/data/items/batch*_writer_*.jsonl` file that
covers all 12 labels is held out once.
"""
from __future__ import annotations

import json
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from classifiers.labels import LABELS  # noqa: E402
from classifiers.text import prepare_text  # noqa: E402
from classifiers.training.dataset import DEFAULT_DATA_DIR, load_dataset  # noqa: E402
from classifiers.training.fit import fit  # noqa: E402
from classifiers.training.metrics import evaluate  # noqa: E402


def writer_files() -> list[Path]:
    """Batch files whose writer covered all 12 labels."""
    out = []
    for path in sorted(DEFAULT_DATA_DIR.glob("batch*_writer_*.jsonl")):
        labels = {json.loads(line)["cause"] for line in path.open(encoding="utf-8") if line.strip()}
        if labels >= set(LABELS):
            out.append(path)
    return out


def hold_out(path: Path) -> dict:
    """Train without ``path`` and score its items."""
    with tempfile.TemporaryDirectory() as tmp:
        for f in DEFAULT_DATA_DIR.glob("*.jsonl"):
            if f.name != path.name:
                shutil.copy(f, tmp)
        ds = load_dataset(tmp, strict_splits=False)
        model, _ = fit(ds.texts_labels("train"), ds.texts_labels("dev"), progress=lambda _m: None)
    rows = [json.loads(line) for line in path.open(encoding="utf-8") if line.strip()]
    decisions = model.predict([prepare_text(r["text"]) for r in rows])
    gold = [r["cause"] for r in rows]
    m = evaluate(gold, [d.cause for d in decisions], [d.attribution for d in decisions],
                 [d.needs_confirmation for d in decisions])
    m["negatives"] = sum(1 for g in gold if g == "unclear" or not g.startswith("staff."))
    return m


def main() -> None:
    files = [Path(p) for p in sys.argv[1:]] or writer_files()
    print("| held-out file | items | binary macro-F1 | 11-cause macro-F1 | false blame | unclear not blamed | staff coverage |")
    print("|---|---|---|---|---|---|---|")
    rows = []
    for path in files:
        m = hold_out(path)
        rows.append(m)
        print(f"| {path.name} | {m['n']} | {m['binary_macro_f1']:.3f} | {m['cause_macro_f1']:.3f} | "
              f"{m['false_blame']} / {m['negatives']} | {m['unclear_not_blamed']:.3f} | {m['staff_coverage']:.3f} |", flush=True)
    if rows:
        mean = lambda k: sum(r[k] for r in rows) / len(rows)  # noqa: E731
        print(f"| **mean** | | {mean('binary_macro_f1'):.3f} | {mean('cause_macro_f1'):.3f} | "
              f"{sum(r['false_blame'] for r in rows)} / {sum(r['negatives'] for r in rows)} | "
              f"{mean('unclear_not_blamed'):.3f} | {mean('staff_coverage'):.3f} |")


if __name__ == "__main__":
    main()
