"""Score the promoted cause classifier on the independent evaluation sets.

benchmarks/data/independent_eval*.jsonl were each written by a separate writer
who never saw the training data or the code; they are never trained or tuned
on. They are proxies for the hidden evaluation set. Usage:
    .venv/bin/python benchmarks/independent_eval.py [FILE ...]
"""
import json
import sys
from pathlib import Path

from sklearn.metrics import f1_score

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from classifiers import ATTRIBUTION, classify_many  # noqa: E402

DATA = sorted((Path(__file__).resolve().parent / "data").glob("independent_eval*.jsonl"))


def report(path: Path) -> None:
    """Print the issue's four targets (and coverage) for one evaluation file."""
    rows = [json.loads(line) for line in path.open(encoding="utf-8") if line.strip()]
    results = classify_many([r["text"] for r in rows])
    causes = [(r["cause"], x) for r, x in zip(rows, results) if r["cause"] != "unclear"]
    unclear = [x for r, x in zip(rows, results) if r["cause"] == "unclear"]
    gold = [c for c, _ in causes]
    blamed = lambda x: x.attribution == "staff" and not x.needs_confirmation  # noqa: E731
    binary_gold = ["staff" if ATTRIBUTION[c] == "staff" else "non_staff" for c in gold]
    binary_pred = ["staff" if x.attribution == "staff" else "non_staff" for _, x in causes]
    innocent = [x for c, x in causes if ATTRIBUTION[c] != "staff"] + unclear
    print(f"{path.name}: {len(rows)} items ({len(unclear)} unclear), model {results[0].model_version}")
    print(f"  binary staff/non-staff macro-F1 {f1_score(binary_gold, binary_pred, average='macro'):.3f}  (target ≥ 0.95)")
    print(f"  11-cause macro-F1               {f1_score(gold, [x.cause for _, x in causes], average='macro'):.3f}  (target ≥ 0.85)")
    print(f"  false blame                     {sum(map(blamed, innocent))}/{len(innocent)} = "
          f"{sum(map(blamed, innocent)) / len(innocent):.3f}  (target ≤ 0.01)")
    if unclear:
        print(f"  unclear not blamed on staff     {sum(not blamed(x) for x in unclear) / len(unclear):.3f}  (target ≥ 0.95)"
              f"; strict (no staff guess even with a question) {sum(x.attribution != 'staff' for x in unclear) / len(unclear):.3f}")
    print(f"  coverage (no confirmation)      {sum(not x.needs_confirmation for _, x in causes) / len(causes):.3f}")


def main() -> None:
    for path in [Path(p) for p in sys.argv[1:]] or DATA:
        report(path)


if __name__ == "__main__":
    main()
