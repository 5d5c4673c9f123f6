"""Retraining from person labels: the domain-shift experiment and the time of a retraining.

    .venv/bin/python benchmarks/retrain.py shift [--tune online_game] [--confirm ev_charging home_renovation]
                                               [--variants 1 3 1+words]
    .venv/bin/python benchmarks/retrain.py timing [--labels 5000]
    .venv/bin/python benchmarks/retrain.py choice [--industries ...]

``shift``: texts of industries the corpus does not cover
(``benchmarks/data/domain_shift/*.jsonl``, written by a separate writer) are
split per industry by a salted hash of the text: 60 % become "labelled by the
centre" (source ``import``), 40 % are held out. Weights are tuned on one
industry's held-out part only; the chosen setting is then confirmed on the
other two industries, labelled together, whose held-out texts were never
looked at while tuning. Every run is a full ``pipeline.train`` into a
temporary model root; the corpus-only model is the "before". Also scores the
frozen sets (test split v1, the independent sets) before and after.

``timing``: wall time of ``pipeline.train`` with N person labels on top of the
corpus. The labels are the corpus' own texts with a counter appended (a
timing proxy: only the amount of text matters here; nothing of it is
committed or kept).
"""
from __future__ import annotations

import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import argparse  # noqa: E402
import hashlib
import json  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from classifiers.api import clean_input, results_for  # noqa: E402
from classifiers.model import CauseModel  # noqa: E402
from classifiers.training.dataset import dedup_key, load_dataset  # noqa: E402
from classifiers.training.frozen import evaluate_frozen  # noqa: E402
from classifiers.training.labels import PersonLabel  # noqa: E402
from classifiers.training.metrics import evaluate  # noqa: E402
from classifiers.training.pipeline import train  # noqa: E402

SHIFT_DIR = ROOT / "benchmarks" / "data" / "domain_shift"
SALT = "feedbackbot-domain-shift-v1"


def load_industry(name: str, corpus_keys: frozenset[str] = frozenset()) -> list[dict]:
    """One industry's items, without those whose text the corpus holds already (generic short replies)."""
    path = SHIFT_DIR / f"{name}.jsonl"
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r for r in rows if dedup_key(clean_input(r["text"])) not in corpus_keys]


def corpus_keys() -> frozenset[str]:
    return frozenset(dedup_key(it.text) for it in load_dataset(strict_splits=False).items)


def labelled_part(text: str) -> bool:
    """60 % of an industry's texts (by a salted hash of the text) are the centre's labels."""
    return int(hashlib.sha1((SALT + text).encode()).hexdigest()[:8], 16) % 100 < 60


def as_labels(rows: list[dict]) -> list[PersonLabel]:
    return [PersonLabel(r["text"], r["cause"], "import", "centre-import", "2026-12-01T00:00:00Z") for r in rows]


def score(model: CauseModel, rows: list[dict]) -> dict:
    res = results_for(model, "exp", [r["text"] for r in rows])
    return evaluate([r["cause"] for r in rows], [x.cause for x in res], [x.attribution for x in res],
                    [x.needs_confirmation for x in res])


def run(root: Path, labels: list[PersonLabel], **kw) -> tuple[CauseModel, float, str]:
    t0 = time.perf_counter()
    version = train(root=root, extra_labels=labels, progress=lambda m: None, **kw)
    took = time.perf_counter() - t0
    return CauseModel.load(root / version / "model"), took, version


def fmt(m: dict) -> str:
    return (f"cause-F1 {m['cause_macro_f1']:.3f}  binary-F1 {m['binary_macro_f1']:.3f}  "
            f"false blame {m['false_blame']} ({m['false_blame_rate']:.3f})  staff cov {m['staff_coverage']:.3f}  "
            f"coverage {m['coverage']:.3f}")


def frozen_line(rep: dict) -> str:
    return "; ".join(f"{n}: bin {s['binary_f1']:.3f} cause {s['cause_macro_f1']:.3f} fb {s['false_blame']}"
                     for n, s in rep["sets"].items())


def cmd_shift(args) -> int:
    tune, confirm = args.tune, args.confirm
    keys = corpus_keys()
    data = {name: load_industry(name, keys) for name in [tune, *confirm]}
    lab = {n: [r for r in rows if labelled_part(r["text"])] for n, rows in data.items()}
    held = {n: [r for r in rows if not labelled_part(r["text"])] for n, rows in data.items()}
    for n in data:
        print(f"{n}: {len(lab[n])} labelled, {len(held[n])} held out")
    out: dict = {"tune": tune, "confirm": confirm, "runs": []}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        if args.skip_before:  # the corpus-only model's figures come from an earlier run
            out["before"] = {}
        else:
            base, took, base_v = run(root, [])
            base_frozen = evaluate_frozen(base_v, root=root)
            print(f"\nbefore (corpus only, {took:.1f}s): frozen {frozen_line(base_frozen)}")
            for n in data:
                print(f"  {n:16s} held-out  {fmt(score(base, held[n]))}")
            out["before"] = {n: score(base, held[n]) for n in data}
            out["before_frozen"] = {k: v for k, v in base_frozen["sets"].items()}
        print(f"\ntuning on {tune} (labels of {tune} only; scored on its held-out part)")
        best = None
        for variant in [] if args.chosen else args.variants:
            w, words = float(variant.split("+")[0]), variant.endswith("+words")
            cfg = {"labels": {"learn_words": words}}
            model, took, _ = run(root, as_labels(lab[tune]), label_weight=w, config=cfg)
            m = score(model, held[tune])
            print(f"  weight x{w:<4g}{' +words' if words else '       '} {fmt(m)}  ({took:.1f}s)")
            out["runs"].append({"industry": tune, "variant": variant, "held_out": m, "train_s": round(took, 1)})
            # Choose on the product's order of concerns: false blame, then binary, then cause F1;
            # on a tie the first (simplest) variant stays.
            key = (-m["false_blame"], m["binary_macro_f1"], m["cause_macro_f1"])
            if best is None or key > best[0]:
                best = (key, w, cfg, variant)
        if args.chosen:  # chosen in an earlier tuning run; skip tuning
            variant = args.chosen
            w, cfg = float(variant.split("+")[0]), {"labels": {"learn_words": variant.endswith("+words")}}
        else:
            assert best is not None
            _, w, cfg, variant = best
        print(f"chosen: {variant}")
        labels = [pl for n in confirm for pl in as_labels(lab[n])]
        model, took, v = run(root, labels, label_weight=w, config=cfg)
        rep = evaluate_frozen(v, root=root, exclude_keys=set())
        print(f"\nconfirming on {', '.join(confirm)} ({len(labels)} labels, {variant}, {took:.1f}s)")
        print(f"after: frozen {frozen_line(rep)}")
        out["chosen"] = variant
        out["after"] = {}
        for n in confirm:
            m1 = score(model, held[n])
            out["after"][n] = m1
            if n in out["before"]:
                print(f"  {n:16s} before {fmt(out['before'][n])}")
            print(f"  {n:16s} after  {fmt(m1)}")
        out["after_frozen"] = rep["sets"]
        out["confirm_train_s"] = round(took, 1)
    dest = ROOT / "var" / "benchmarks" / ("retrain_shift_confirm.json" if args.chosen else "retrain_shift.json")
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(json.dumps(out, indent=2, ensure_ascii=False), encoding="utf-8")
    return 0


def cmd_choice(args) -> int:
    """Do customers' coarse cause choices help as labels? Simulated on the confirming industries.

    Each labelled-part text the corpus-only model would ask about is answered with the
    option that covers its gold cause (texts of no option's cause — unclear, none,
    survey, mis-reply — answer "其他") and stored as the dialogue stores it: the model's
    best cause inside the option, else the option's default. They go in as source
    ``customer_choice``, so the training's own rule applies (choices blaming the agent
    are not trained on).
    """
    from bot.domain import CAUSE_CHOICES
    from classifiers.registry import current_version, model_root

    group = {c: ch for ch in CAUSE_CHOICES for c in ch.causes}
    other = CAUSE_CHOICES[-1]
    keys = corpus_keys()
    root = model_root()
    base = CauseModel.load(root / current_version(root) / "model")
    labels, differ = [], 0
    held = {}
    for n in args.industries:
        rows = load_industry(n, keys)
        lab = [r for r in rows if labelled_part(r["text"])]
        held[n] = [r for r in rows if not labelled_part(r["text"])]
        for r, x in zip(lab, results_for(base, "base", [r["text"] for r in lab])):
            if not x.needs_confirmation:
                continue
            ch = group.get(r["cause"], other)
            cause = x.cause if x.cause in ch.causes else ch.default_cause
            differ += cause != r["cause"]
            labels.append(PersonLabel(r["text"], cause, "customer_choice", "simulated customer", "2026-12-01T00:00:00Z"))
    staff = sum(pl.cause.startswith("staff.") for pl in labels)
    print(f"{len(labels)} asked texts answered by choice ({staff} blaming the agent: not trained); "
          f"{differ} stored causes differ from the gold cause")
    with tempfile.TemporaryDirectory() as tmp:
        model, took, _ = run(Path(tmp), labels)
        for n in args.industries:
            print(f"  {n:16s} before       {fmt(score(base, held[n]))}")
            print(f"  {n:16s} with choices {fmt(score(model, held[n]))}")
    return 0


def cmd_timing(args) -> int:
    ds = load_dataset(strict_splits=False)
    texts = [it.text for it in ds.items]
    labels_ = [it.label for it in ds.items]
    person = [PersonLabel(f"{texts[i % len(texts)]} 第{i}条", labels_[i % len(texts)], "reviewer", "bench",
                          "2026-12-01T00:00:00Z") for i in range(args.labels)]
    with tempfile.TemporaryDirectory() as tmp:
        marks: list[tuple[float, float, float, str]] = []
        t0, c0 = time.perf_counter(), time.process_time()
        train(root=Path(tmp), extra_labels=person, progress=lambda m: None,
              on_progress=lambda f, m: marks.append((time.perf_counter() - t0, time.process_time() - c0, f, m)))
        took, cpu = time.perf_counter() - t0, time.process_time() - c0
    for t, c, f, m in marks:
        print(f"  wall {t:6.1f}s  cpu {c:6.1f}s  {f:5.0%}  {m}")
    load = os.getloadavg()
    # On a shared machine the wall time measures the others too; the CPU time of this
    # process is what the retraining costs (it runs on one core: BLAS threads = 1).
    print(f"retraining with {args.labels} person labels on top of the corpus: wall {took:.1f} s, "
          f"CPU {cpu:.1f} s (target <= 60 s; load average {load[0]:.1f} on {os.cpu_count()} cores)")
    return 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("shift")
    s.add_argument("--tune", default="online_game")
    s.add_argument("--confirm", nargs="+", default=["ev_charging", "home_renovation", "fitness_club", "pet_hospital"])
    s.add_argument("--variants", nargs="+", default=["1", "3", "1+words"],
                   help="label weight, optionally +words (learn jieba words from the labels)")
    s.add_argument("--skip-before", action="store_true", help="do not train the corpus-only model (figures from an earlier run)")
    s.add_argument("--chosen", default=None, help="skip tuning: confirm with this variant (chosen in an earlier run)")
    s.set_defaults(func=cmd_shift)
    s = sub.add_parser("choice")
    s.add_argument("--industries", nargs="+", default=["ev_charging", "home_renovation", "fitness_club", "pet_hospital"])
    s.set_defaults(func=cmd_choice)
    s = sub.add_parser("timing")
    s.add_argument("--labels", type=int, default=5000)
    s.set_defaults(func=cmd_timing)
    args = ap.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
