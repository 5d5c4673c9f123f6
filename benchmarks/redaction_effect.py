"""What redaction at the edge does to the rating parser and the cause classifier.

The web proxy now redacts every customer message before Rasa sees it, so the
action's parser and classifier read ``redact(text)``, not ``text``. This
prints, for every labelled set we have (the two independent evaluation sets,
the challenge set, the training items) and for every input of the rating
parser's unit tests:

* how many texts redaction changes at all;
* for the classifier: the four targets on ``text`` and on ``redact(text)``,
  and how many predictions differ;
* for the parser: how many parses of ``redact(text)`` differ from ``text``.

Usage: ``.venv/bin/python benchmarks/redaction_effect.py``
"""
from __future__ import annotations

import ast
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bot.rating.parser import parse_reply  # noqa: E402
from classifiers import classify_many  # noqa: E402
from classifiers.training.metrics import evaluate  # noqa: E402
from zhtext.redact import redact  # noqa: E402

# name -> files; the training items are one set (each file holds one cause only).
LABELLED = {
    **{p.name: [p] for p in sorted((ROOT / "benchmarks" / "data").glob("independent_eval*.jsonl"))},
    "challenge.jsonl": [ROOT / "classifiers" / "data" / "challenge" / "challenge.jsonl"],
    "training items (all)": sorted((ROOT / "classifiers" / "data" / "items").glob("*.jsonl")),
}


def _rows(paths: list[Path]) -> list[dict]:
    return [json.loads(line) for path in paths for line in path.open(encoding="utf-8") if line.strip()]


def classifier_report(name: str, rows: list[dict]) -> None:
    texts = [r["text"] for r in rows]
    redacted = [redact(t) for t in texts]
    changed = sum(a != b for a, b in zip(texts, redacted, strict=True))
    gold = [r["cause"] for r in rows]
    before, after = classify_many(texts), classify_many(redacted)
    differ = sum((x.cause, x.attribution, x.needs_confirmation) != (y.cause, y.attribution, y.needs_confirmation)
                 for x, y in zip(before, after, strict=True))
    m0, m1 = (evaluate(gold, [x.cause for x in res], [x.attribution for x in res],
                       [x.needs_confirmation for x in res]) for res in (before, after))
    print(f"{name}: {len(rows)} texts, {changed} changed by redaction, {differ} predictions differ")
    for key in ("binary_macro_f1", "cause_macro_f1", "false_blame_rate", "coverage"):
        print(f"  {key:18s} text {m0[key]:.4f}   redact(text) {m1[key]:.4f}")


def parser_inputs() -> list[str]:
    """Every string literal that is the first value of a parametrised case in the parser's tests."""
    tree = ast.parse((ROOT / "tests" / "unit" / "test_rating_parser.py").read_text(encoding="utf-8"))
    texts = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Tuple) and node.elts and isinstance(node.elts[0], ast.Constant) \
                and isinstance(node.elts[0].value, str) and len(node.elts) >= 2:
            texts.append(node.elts[0].value)
    return sorted(set(texts))


def parser_report() -> None:
    texts = parser_inputs()
    changed = [t for t in texts if redact(t) != t]
    differ = [t for t in texts if parse_reply(redact(t)) != parse_reply(t)]
    print(f"rating parser test inputs: {len(texts)} texts, {len(changed)} changed by redaction, "
          f"{len(differ)} parses differ")
    for t in differ:
        print(f"  {t!r}: {parse_reply(t)} -> {parse_reply(redact(t))}")


def main() -> None:
    parser_report()
    for name, paths in LABELLED.items():
        classifier_report(name, _rows(paths))


if __name__ == "__main__":
    main()
