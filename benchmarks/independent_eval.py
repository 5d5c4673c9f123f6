"""Score the promoted cause classifier on the independent evaluation sets.

benchmarks/data/independent_eval*.jsonl were each written by a separate writer
who never saw the training data or the code; they are never trained or tuned
on. They are proxies for the hidden evaluation set. Usage:
    .venv/bin/python benchmarks/independent_eval.py [FILE ...]
"""
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from classifiers import classify_many  # noqa: E402
from classifiers.training.metrics import evaluate  # noqa: E402

DATA = sorted((Path(__file__).resolve().parent / "data").glob("independent_eval*.jsonl"))


def report(path: Path) -> None:
    """Print the issue's four targets (and coverage) for one evaluation file."""
    rows = [json.loads(line) for line in path.open(encoding="utf-8") if line.strip()]
    results = classify_many([r["text"] for r in rows])
    m = evaluate([r["cause"] for r in rows], [x.cause for x in results], [x.attribution for x in results],
                 [x.needs_confirmation for x in results])
    negatives = sum(1 for r in rows if r["cause"] == "unclear" or not r["cause"].startswith("staff."))
    print(f"{path.name}: {m['n']} items ({m['n_unclear']} unclear), model {results[0].model_version}")
    print(f"  binary staff/non-staff macro-F1 {m['binary_macro_f1']:.3f}  (target ≥ 0.95)")
    print(f"  11-cause macro-F1               {m['cause_macro_f1']:.3f}  (target ≥ 0.85)")
    print(f"  false blame                     {m['false_blame']}/{negatives} = {m['false_blame_rate']:.3f}  (target ≤ 0.01)")
    if m["n_unclear"]:
        print(f"  unclear not blamed on staff     {m['unclear_not_auto_blamed']:.3f}  (target ≥ 0.95)"
              f"; strict (no staff guess even with a question) {m['unclear_not_blamed']:.3f}")
    print(f"  coverage (no confirmation)      {m['coverage']:.3f}")


def main() -> None:
    for path in [Path(p) for p in sys.argv[1:]] or DATA:
        report(path)


if __name__ == "__main__":
    main()
