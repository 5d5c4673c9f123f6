"""``feedbackbot classifier …`` and ``feedbackbot classify`` sub-commands.

Imported by ``bot/cli/main.py`` on every start, so this module imports nothing
heavy at module level.

* ``classifier data [--data DIR] [--manifest FILE]`` — show counts per label and split
* ``classifier train [--data DIR] [--labels FILE.jsonl] [--promote [--force --why TEXT]] [--userdict FILE] [--marker FILE]``
  — ``--promote`` goes through the gate; a refusal exits 3 with the report
* ``classifier compare CURRENT CANDIDATE [--json]`` — the gate's decision and the side-by-side table
* ``classifier rollback [--to VERSION] [--why TEXT]`` — back to the previous promoted version (one step) or VERSION
* ``classifier evaluate [VERSION] [--split test]``
* ``classifier promote VERSION``
* ``classifier ensure``                       — train + promote only if nothing is promoted
* ``classifier list``
* ``classify``                                — JSON lines {"id","text"} on stdin → results on stdout
"""
from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path


def _write_json(path: Path, obj: dict) -> None:
    """Write ``obj`` as stable (sorted) JSON, creating the directory: weasel hashes these files."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")


def _cmd_data(args) -> int:
    from .training.pipeline import prepare

    ds = prepare(args.data, progress=lambda m: print(m))
    if args.manifest:
        # Only what the prepared data *is* (no time stamps), so an unchanged data step
        # rewrites the same bytes and weasel can skip the train step after it.
        _write_json(args.manifest, {"data_hash": ds.data_hash, "counts": ds.counts(), "stats": ds.stats})
    return 0


def _who(args) -> str:
    import getpass

    if getattr(args, "who", None):
        return args.who
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (containers)
        return "cli"


#: Where ``train --with-labels`` gets person labels and decided appeals: set by an application that has
#: them (the ``feedbackbot`` CLI reads its database); ``(labels, golden_appeals)``.
LabelProvider = Callable[[], tuple[list, list]]
label_provider: LabelProvider | None = None
#: Called after every promotion or rollback ``(from, to, who, why, report)`` (the application's history).
on_promoted: Callable[..., None] | None = None


def _cmd_train(args) -> int:
    from .registry import model_root
    from .training.pipeline import train

    if args.force and not (args.why and args.why.strip()):
        print("error: --force needs a written reason: --why TEXT", file=sys.stderr)
        return 2
    if (args.force or args.why) and not args.promote:
        print("error: --force/--why only make sense with --promote", file=sys.stderr)
        return 2
    labels: list = []
    golden: list = []
    if getattr(args, "with_labels", False):
        if label_provider is None:
            print("error: --with-labels needs the feedbackbot CLI (labels come from DATABASE_URL)", file=sys.stderr)
            return 2
        try:
            labels, golden = label_provider()
        except Exception as exc:  # noqa: BLE001 - any database failure: say which, train nothing
            print(f"error: cannot read the person labels from DATABASE_URL ({type(exc).__name__}: "
                  f"{str(exc).splitlines()[0][:200]}); is it the product's database, migrated "
                  f"(`feedbackbot db-upgrade`)?", file=sys.stderr)
            return 2
        print(f"{len(labels)} person labels and {len(golden)} decided appeals read from the database", file=sys.stderr)
    if args.labels:
        from .training.labels import read_labels_jsonl

        try:
            from_file, problems = read_labels_jsonl(args.labels)
            labels = [*labels, *from_file]
        except OSError as exc:
            print(f"error: cannot read labels: {exc}", file=sys.stderr)
            return 2
        for p in problems[:20]:
            print(f"warning: {args.labels}: {p} (skipped)", file=sys.stderr)
        if len(problems) > 20:
            print(f"warning: {len(problems) - 20} more bad lines skipped", file=sys.stderr)
        print(f"{len(from_file)} person labels read from {args.labels}", file=sys.stderr)
    version = train(args.data, promote=False, userdict=args.userdict, extra_labels=labels,
                    label_weight=args.label_weight)
    if args.marker:
        _write_json(args.marker, {"version": version, "model_root": str(model_root())})
    print(version)
    if args.promote:
        return _promote_through_gate(version, args, golden)
    return 0


def _promote_through_gate(version: str, args, golden: list | None = None) -> int:
    from .registry import ModelNotAvailableError
    from .training.frozen import FrozenSetError
    from .training.gate import GateSettings
    from .training.promotion import PromotionError, promote_with_gate

    try:
        res = promote_with_gate(version, who=_who(args), why=args.why, force=args.force,
                                settings=GateSettings(max_binary_f1_drop=args.max_binary_f1_drop),
                                golden_appeals=golden or [], on_promoted=on_promoted)
    except (ModelNotAvailableError, FrozenSetError, PromotionError) as exc:
        print(f"error: {version} not promoted: {exc}", file=sys.stderr)
        return 3
    print(res.decision.format(), file=sys.stderr)
    if not res.promoted:
        print(f"refused: {version} is not promoted (current stays {res.from_version}); "
              f"override with --force --why TEXT", file=sys.stderr)
        return 3
    print(f"promoted {version}" + (" (gate overridden: recorded)" if res.forced else ""), file=sys.stderr)
    return 0


def _cmd_compare(args) -> int:
    from .registry import ModelNotAvailableError
    from .training.frozen import FrozenSetError
    from .training.gate import GateSettings
    from .training.promotion import compare_versions

    try:
        decision, cur, cand = compare_versions(args.current, args.candidate,
                                               settings=GateSettings(max_binary_f1_drop=args.max_binary_f1_drop))
    except (ModelNotAvailableError, FrozenSetError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps({"decision": decision.to_json(), "current": cur, "candidate": cand}, ensure_ascii=False, indent=2))
    else:
        print(f"current {cur['version']}  candidate {cand['version']}")
        print(decision.format())
    return 0 if decision.allowed else 3


def _cmd_rollback(args) -> int:
    from .training.promotion import PromotionError, rollback

    try:
        old, new = rollback(who=_who(args), why=args.why, to=args.to, on_promoted=on_promoted)
    except PromotionError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"rolled back {old} -> {new}")
    return 0


def _cmd_evaluate(args) -> int:
    from .registry import ModelNotAvailableError
    from .training.metrics import format_metrics
    from .training.pipeline import evaluate

    try:
        m = evaluate(args.version, split=args.split, data_dir=args.data)
    except ModelNotAvailableError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(m, ensure_ascii=False, indent=2))
    else:
        print(f"split: {args.split}")
        print(format_metrics(m))
    return 0


def _cmd_promote(args) -> int:
    from .registry import ModelNotAvailableError, promote, resolve

    try:
        version = resolve(args.version)
        promote(version)
    except ModelNotAvailableError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"promoted {version}")
    return 0


def _cmd_ensure(args) -> int:
    from .training.pipeline import ensure

    print(ensure(args.data))
    return 0


def _cmd_list(args) -> int:
    from .registry import current_version, list_versions, model_root, read_json

    root = model_root()
    cur = current_version(root)
    versions = list_versions(root)
    if not versions:
        print(f"no model versions under {root}")
        return 0
    for v in versions:
        m = read_json(v, "metrics.json", root)
        t = m.get("test") or {}
        mark = "*" if v == cur else " "
        print(
            f"{mark} {v}  test binary-F1 {t.get('binary_macro_f1', float('nan')):.4f}  "
            f"cause-F1 {t.get('cause_macro_f1', float('nan')):.4f}  "
            f"false-blame {t.get('false_blame_rate', float('nan')):.4f}  "
            f"staff-threshold {m.get('thresholds', {}).get('staff_threshold', float('nan'))}"
        )
    return 0


def _cmd_classify(args) -> int:
    """Stream JSON lines; classify in small batches, keep input order, never stop on a bad line."""
    from .api import classify_many
    from .registry import ModelNotAvailableError

    out = sys.stdout
    pending: list[tuple[object, str | None]] = []

    def flush():
        if not pending:
            return
        results = classify_many([t for _, t in pending])
        for (rid, _), r in zip(pending, results):
            out.write(
                json.dumps(
                    {
                        "id": rid,
                        "cause": r.cause,
                        "attribution": r.attribution,
                        "confidence": r.confidence,
                        "needs_confirmation": r.needs_confirmation,
                        "evidence": r.evidence,
                        "model_version": r.model_version,
                    },
                    ensure_ascii=False,
                )
                + "\n"
            )
        pending.clear()
        out.flush()

    try:
        classify_many([])  # fail fast, before reading input, if no model is promoted
    except ModelNotAvailableError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for lineno, line in enumerate(sys.stdin, 1):
        if not line.strip():
            continue
        rid = None
        try:
            obj = json.loads(line)
            if not isinstance(obj, dict):
                raise ValueError("expected a JSON object")
            rid = obj.get("id")
            if "text" not in obj:
                raise ValueError('missing "text"')
            text = obj["text"]
            if text is not None and not isinstance(text, str):
                raise ValueError('"text" must be a string')
        except ValueError as exc:  # json.JSONDecodeError is a ValueError
            flush()  # keep output in input order
            out.write(json.dumps({"id": rid, "line": lineno, "error": str(exc)}, ensure_ascii=False) + "\n")
            out.flush()
            continue
        pending.append((rid, text))
        if len(pending) >= args.batch_size:
            flush()
    flush()
    return 0


def register(subparsers) -> None:
    """Add the ``classifier`` and ``classify`` sub-commands to ``subparsers``."""
    p = subparsers.add_parser("classifier", help="train, evaluate and promote the cause classifier")
    sub = p.add_subparsers(dest="classifier_command", required=True)

    s = sub.add_parser("data", help="show label counts per split after cleaning")
    s.add_argument("--data", default=None, help="directory of *.jsonl items (default: classifiers/data/items)")
    s.add_argument("--manifest", default=None, type=Path, help="also write the prepared data's hash and counts here (JSON)")
    s.set_defaults(func=_cmd_data)

    s = sub.add_parser("train", help="train a new model version")
    s.add_argument("--data", default=None, help="directory of *.jsonl items (default: classifiers/data/items)")
    s.add_argument("--labels", default=None, type=Path,
                   help='person labels to train on too: JSON lines {"text","cause","source","who","at"[,"weight"]}')
    s.add_argument("--with-labels", action="store_true",
                   help="also train on every cause a person gave in the database (DATABASE_URL), with a data card")
    s.add_argument("--label-weight", default=None, type=float, help="weight of a person label vs a corpus item (default 1)")
    s.add_argument("--promote", action="store_true", help="promote the new version if the gate allows it")
    s.add_argument("--force", action="store_true", help="promote even if the gate refuses (needs --why; recorded)")
    s.add_argument("--why", default=None, help="written reason for --force (recorded with the version)")
    s.add_argument("--who", default=None, help="who promotes (default: the login name)")
    s.add_argument("--max-binary-f1-drop", default=0.01, type=float, help="gate: largest allowed binary F1 drop")
    s.add_argument(
        "--userdict", default=None, type=Path,
        help="jieba user dictionary (default: classifiers/resources/jieba/userdict.txt); copied into the version",
    )
    s.add_argument("--marker", default=None, type=Path, help="also write the new version id here (JSON)")
    s.set_defaults(func=_cmd_train)

    s = sub.add_parser("evaluate", help="print metrics of a version on a split")
    s.add_argument("version", nargs="?", default=None, help="version id, 'current' (default) or 'latest'")
    s.add_argument("--split", default="test", choices=["train", "dev", "test"])
    s.add_argument("--data", default=None, help="directory of *.jsonl items")
    s.add_argument("--json", action="store_true", help="print the metrics as JSON")
    s.set_defaults(func=_cmd_evaluate)

    s = sub.add_parser("promote", help="make VERSION the model classify() uses")
    s.add_argument("version", help="version id or 'latest'")
    s.set_defaults(func=_cmd_promote)

    s = sub.add_parser("compare", help="gate decision for replacing CURRENT by CANDIDATE on the frozen sets")
    s.add_argument("current", help="version id, 'current' or 'latest'")
    s.add_argument("candidate", help="version id, 'current' or 'latest'")
    s.add_argument("--max-binary-f1-drop", default=0.01, type=float, help="gate: largest allowed binary F1 drop")
    s.add_argument("--json", action="store_true", help="print the decision and both reports as JSON")
    s.set_defaults(func=_cmd_compare)

    s = sub.add_parser("rollback", help="promote the version the current one replaced (one step back)")
    s.add_argument("--to", default=None, help="an earlier promoted version (default: the one the current replaced)")
    s.add_argument("--why", default=None, help="reason (recorded)")
    s.add_argument("--who", default=None, help="who rolls back (default: the login name)")
    s.set_defaults(func=_cmd_rollback)

    s = sub.add_parser("ensure", help="train and promote a model only if none is promoted")
    s.add_argument("--data", default=None, help="directory of *.jsonl items")
    s.set_defaults(func=_cmd_ensure)

    s = sub.add_parser("list", help="list model versions (* = promoted)")
    s.set_defaults(func=_cmd_list)

    c = subparsers.add_parser("classify", help='classify JSON lines {"id","text"} from stdin')
    c.add_argument("--batch-size", type=int, default=256, help=argparse.SUPPRESS)
    c.set_defaults(func=_cmd_classify)
