"""The declared pipeline: data → train → evaluate → promote.

Each step is a plain function used by the CLI (``classifiers/cli.py``) and by
``classifiers/project.yml``. Outputs are versioned under the model root (see
``classifiers/registry.py``), never in git.
"""
from __future__ import annotations

import json
import platform
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from .. import registry
from ..labels import LABELS
from ..tokenize import MODEL_USERDICT, USERDICT, file_sha256
from .dataset import DEFAULT_DATA_DIR, SPLITS, Dataset, load_dataset
from .fit import fit
from .metrics import evaluate as score
from .metrics import format_metrics

Progress = Callable[[str], None]


def _stderr(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def prepare(data_dir: str | Path | None = None, progress: Progress = _stderr) -> Dataset:
    """Data step: load, normalise, redact, de-duplicate and split."""
    ds = load_dataset(data_dir, strict_splits=False)
    counts = ds.counts()
    missing = [(lab, s) for lab, per in counts.items() for s, n in per.items() if n == 0]
    progress(
        f"data: {ds.stats.get('items')} items from {data_dir or DEFAULT_DATA_DIR} "
        f"(lines {ds.stats.get('lines', 0)}, duplicates dropped {ds.stats.get('duplicates_dropped', 0)}, "
        f"conflicting {ds.stats.get('conflicting_lines', 0)}, "
        f"bad {ds.stats.get('bad_json', 0) + ds.stats.get('unknown_label', 0)})"
    )
    for lab in LABELS:
        c = counts[lab]
        progress(f"  {lab:18s} " + "  ".join(f"{s} {c[s]:4d}" for s in SPLITS))
    if missing:
        progress(f"  WARNING: labels missing from splits: {missing}")
    progress(f"  data hash {ds.data_hash[:16]}")
    return ds


def library_versions() -> dict[str, str]:
    """Versions of Python and of every library that shapes a model's behaviour."""
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for name in ("jieba", "spacy", "scikit-learn", "numpy", "opencc"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:  # pragma: no cover - all are dependencies
            out[name] = ""
    return out


def evaluate_model(model, version: str, ds: Dataset, split: str) -> dict:
    from ..api import results_for

    texts, gold = ds.texts_labels(split)
    if not texts:
        return {}
    res = results_for(model, version, texts)
    return score(gold, [r.cause for r in res], [r.attribution for r in res], [r.needs_confirmation for r in res])


def train(
    data_dir: str | Path | None = None,
    *,
    root: Path | None = None,
    config: dict | None = None,
    promote: bool = False,
    progress: Progress = _stderr,
    userdict: Path | None = None,
) -> str:
    """Train a new version on the train split, tune on dev, report dev+test, save it.

    Args:
        data_dir: Directory of ``*.jsonl`` items (default: the project data).
        root: Model root (default: :func:`classifiers.registry.model_root`).
        config: Overrides of the default model configuration.
        promote: Make the new version the one ``classify()`` uses.
        progress: Called with one line of progress at a time.
        userdict: jieba user dictionary (default: ``classifiers/resources/jieba/userdict.txt``);
            a copy is saved inside the version.

    Returns:
        The version id.
    """
    t_start = time.perf_counter()
    root = root or registry.model_root()
    ds = prepare(data_dir, progress)
    train_xy = ds.texts_labels("train")
    dev_xy = ds.texts_labels("dev")
    if not train_xy[0]:
        raise ValueError("no training items")
    progress(f"train: {len(train_xy[0])} items, dev: {len(dev_xy[0])} items")
    t0 = time.perf_counter()
    model, timings = fit(train_xy, dev_xy, config=config, progress=progress, userdict=userdict or USERDICT)
    train_seconds = round(time.perf_counter() - t0, 2)
    progress(f"trained in {train_seconds}s")
    version = registry.new_version_id(ds.data_hash, root)
    metrics: dict = {
        "version": version,
        "thresholds": {
            "staff_threshold": model.params["staff_threshold"],
            "staff_threshold_applies_to": "sum of staff.* probabilities after rules; plus no rule veto",
            "other_threshold": model.params["other_threshold"],
            "unclear_threshold": model.params.get("unclear_threshold"),
            "unclear_staff_threshold": model.config["decision"].get("unclear_staff_threshold"),
            "max_false_blame_on_dev": model.config["decision"]["max_false_blame"],
            "false_blame_confidence": model.config["decision"].get("false_blame_confidence"),
            "w_lr": model.params["w_lr"],
        },
        "train_seconds": train_seconds,
        "timings": timings,
    }
    for split in ("dev", "test"):
        m = evaluate_model(model, version, ds, split)
        metrics[split] = m
        if m:
            progress(f"{split}:\n" + format_metrics(m))
    if metrics.get("dev"):
        metrics["thresholds"]["dev_false_blame_rate"] = metrics["dev"]["false_blame_rate"]
        metrics["thresholds"]["dev_staff_coverage"] = metrics["dev"]["staff_coverage"]
        metrics["thresholds"]["dev_coverage"] = metrics["dev"]["coverage"]
    config_out = {
        "version": version,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "data_dir": str(Path(data_dir).resolve()) if data_dir else str(DEFAULT_DATA_DIR),
        "data_hash": ds.data_hash,
        "data_stats": ds.stats,
        "counts": ds.counts(),
        "labels": list(LABELS),
        "model_config": model.config,
        "params": model.params,
        "libraries": library_versions(),
    }
    staging = registry.staging_dir(root)
    try:
        model.save(staging / "model")
        # The digest of the copy the version carries, i.e. of what it will segment with.
        config_out["jieba_userdict_sha256"] = file_sha256(staging / "model" / MODEL_USERDICT)
        (staging / "config.json").write_text(json.dumps(config_out, indent=2, ensure_ascii=False), encoding="utf-8")
        (staging / "metrics.json").write_text(json.dumps(metrics, indent=2, ensure_ascii=False), encoding="utf-8")
        registry.commit_version(staging, version, root)
    except BaseException:
        import shutil

        shutil.rmtree(staging, ignore_errors=True)
        raise
    progress(f"saved {root / version}  (total {time.perf_counter() - t_start:.1f}s)")
    if promote:
        registry.promote(version, root)
        progress(f"promoted {version}")
    return version


def evaluate(
    version: str | None = None,
    split: str = "test",
    data_dir: str | Path | None = None,
    root: Path | None = None,
    progress: Progress = _stderr,
) -> dict:
    """Re-score a saved version on a split of the (current) data."""
    from ..model import CauseModel

    root = root or registry.model_root()
    version = registry.resolve(version, root)
    vdir = registry.version_dir(version, root)
    cfg = json.loads((vdir / "config.json").read_text(encoding="utf-8"))
    ds = load_dataset(data_dir, strict_splits=False)
    if ds.data_hash != cfg.get("data_hash"):
        progress(f"note: data changed since {version} was trained (hash {cfg.get('data_hash', '')[:12]} → {ds.data_hash[:12]})")
    model = CauseModel.load(vdir / "model")
    return evaluate_model(model, version, ds, split)


def ensure(data_dir: str | Path | None = None, root: Path | None = None, progress: Progress = _stderr) -> str:
    """Train and promote a model only if none is promoted yet; return the promoted version."""
    root = root or registry.model_root()
    v = registry.current_version(root)
    if v and (root / v / "model").is_dir():
        progress(f"promoted model present: {v}")
        return v
    return train(data_dir, root=root, promote=True, progress=progress)
