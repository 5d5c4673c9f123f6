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
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from .. import registry
from ..labels import LABELS
from ..tokenize import MODEL_USERDICT, USERDICT, file_sha256
from .dataset import DEFAULT_DATA_DIR, SPLITS, Dataset, dedup_key, load_dataset
from .fit import fit
from .labels import PersonLabel, ResolvedLabels, resolve_labels
from .metrics import evaluate as score
from .metrics import format_metrics

Progress = Callable[[str], None]
#: Progress of a training run for a page: (fraction 0-1, message).
FractionProgress = Callable[[float, str], None]

#: Default training weight of a person label relative to a corpus item (see docs/classifier.md,
#: "Retraining from people's decisions", for the measurement that chose it).
DEFAULT_LABEL_WEIGHT = 1.0


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


def merge_labels(ds: Dataset, resolved: ResolvedLabels, label_weight: float) -> dict:
    """Training and dev data of the corpus plus the person labels.

    Every label trains (never dev/test: a centre's couple of hundred labels are
    too few to spare). A corpus item with the same dedup key as a label leaves
    its split (the person's decision replaces it), so dev never scores a text
    that is also trained on; contradictions are listed.

    Returns:
        ``{"train": (texts, labels), "weights": [...], "dev": (texts, labels),
        "replaced": {split: n}, "overrides": [...]}``.
    """
    by_key = {tl.key: tl for tl in resolved.labels}
    replaced = {s: 0 for s in SPLITS}
    overrides = []
    kept = []
    for it in ds.items:
        tl = by_key.get(dedup_key(it.text))
        if tl is None:
            kept.append(it)
            continue
        replaced[it.split] += 1
        if tl.cause != it.label:
            overrides.append({"text": it.text, "corpus_cause": it.label, "label_cause": tl.cause, "split": it.split})
    tr = [it for it in kept if it.split == "train"]
    dv = [it for it in kept if it.split == "dev"]
    texts = [it.text for it in tr] + [tl.text for tl in resolved.labels]
    labels = [it.label for it in tr] + [tl.cause for tl in resolved.labels]
    weights = [1.0] * len(tr) + [label_weight * tl.weight for tl in resolved.labels]
    return {"train": (texts, labels), "weights": weights, "dev": ([it.text for it in dv], [it.label for it in dv]),
            "replaced": replaced, "overrides": overrides}


def train(
    data_dir: str | Path | None = None,
    *,
    root: Path | None = None,
    config: dict | None = None,
    promote: bool = False,
    progress: Progress = _stderr,
    userdict: Path | None = None,
    extra_labels: Sequence[PersonLabel] = (),
    label_weight: float | None = None,
    source_weights: dict[str, float] | None = None,
    on_progress: FractionProgress | None = None,
) -> str:
    """Train a new version on the train split (plus person labels), tune on dev, report dev+test, save it.

    Args:
        data_dir: Directory of ``*.jsonl`` items (default: the project data).
        root: Model root (default: :func:`classifiers.registry.model_root`).
        config: Overrides of the default model configuration.
        promote: Make the new version the one ``classify()`` uses.
        progress: Called with one line of progress at a time.
        userdict: jieba user dictionary (default: ``classifiers/resources/jieba/userdict.txt``);
            a copy is saved inside the version.
        extra_labels: Person labels trained on with the corpus (see :func:`merge_labels`).
        label_weight: Weight of a person label relative to a corpus item
            (default :data:`DEFAULT_LABEL_WEIGHT`).
        source_weights: Weight per label source (default
            :data:`classifiers.training.labels.DEFAULT_SOURCE_WEIGHTS`).
        on_progress: Called with (fraction done 0-1, message) for a progress bar.

    Returns:
        The version id.
    """
    t_start = time.perf_counter()

    def stage(fraction: float, message: str) -> None:
        if on_progress is not None:
            on_progress(round(min(1.0, max(0.0, fraction)), 3), message)

    stage(0.0, "loading the corpus")
    root = root or registry.model_root()
    ds = prepare(data_dir, progress)
    label_weight = DEFAULT_LABEL_WEIGHT if label_weight is None else float(label_weight)
    resolved = resolve_labels(extra_labels, source_weights)
    merged = merge_labels(ds, resolved, label_weight)
    train_xy, dev_xy, weights = merged["train"], merged["dev"], merged["weights"]
    if not train_xy[0]:
        raise ValueError("no training items")
    progress(f"train: {len(train_xy[0])} items ({len(resolved.labels)} person labels, weight x{label_weight:g}), "
             f"dev: {len(dev_xy[0])} items")
    if resolved.conflicts:
        progress(f"  {len(resolved.conflicts)} texts with conflicting person labels (latest decision trained; see the data card)")
    stage(0.05, f"training on {len(train_xy[0])} texts")
    import tempfile

    from ..config import DEFAULT_CONFIG, merge_config

    lcfg = merge_config(DEFAULT_CONFIG, config or {})["labels"]
    base_dict = userdict or USERDICT
    learned: list[str] = []
    tmp_dict = None
    if resolved.labels and lcfg.get("learn_words"):
        from ..tokenize import segmenter
        from .words import learn_words, write_userdict

        learned = learn_words([tl.text for tl in resolved.labels], segmenter(base_dict),
                              min_docs=int(lcfg.get("learn_words_min_docs", 2)))
        if learned:
            tmp_dict = Path(tempfile.mkdtemp(prefix="userdict-")) / "userdict.txt"
            base_dict = write_userdict(base_dict, learned, tmp_dict)
            progress(f"  {len(learned)} new jieba words learned from the labels: {'、'.join(learned[:20])}")
    t0 = time.perf_counter()
    model, timings = fit(train_xy, dev_xy, config=config, progress=progress, userdict=base_dict,
                         weights=weights if resolved.labels else None,
                         on_progress=lambda f, m: stage(0.05 + 0.8 * f, m))
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
    stage(0.87, "scoring dev and test")
    for split in ("dev", "test"):
        m = evaluate_model(model, version, _without(ds, resolved.keys), split)
        metrics[split] = m
        if m:
            progress(f"{split}:\n" + format_metrics(m))
    if metrics.get("dev"):
        metrics["thresholds"]["dev_false_blame_rate"] = metrics["dev"]["false_blame_rate"]
        metrics["thresholds"]["dev_staff_coverage"] = metrics["dev"]["staff_coverage"]
        metrics["thresholds"]["dev_coverage"] = metrics["dev"]["coverage"]
    config_out: dict = {
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
        "label_weight": label_weight,
        "labels_hash": resolved.labels_hash if resolved.labels else None,
    }
    card = _data_card(version, config_out["created_at"], ds, resolved, merged, label_weight, source_weights)
    card["learned_words"] = learned
    stage(0.95, "saving the version")
    staging = registry.staging_dir(root)
    try:
        model.save(staging / "model")
        _write_card(staging, card, resolved)
        # The digest of the copy the version carries, i.e. of what it will segment with.
        config_out["jieba_userdict_sha256"] = file_sha256(staging / "model" / MODEL_USERDICT)
        (staging / "config.json").write_text(json.dumps(config_out, indent=2, ensure_ascii=False), encoding="utf-8")
        (staging / "metrics.json").write_text(json.dumps(metrics, indent=2, ensure_ascii=False), encoding="utf-8")
        registry.commit_version(staging, version, root)
    except BaseException:
        import shutil

        shutil.rmtree(staging, ignore_errors=True)
        raise
    finally:
        if tmp_dict is not None:
            import shutil

            shutil.rmtree(tmp_dict.parent, ignore_errors=True)
    progress(f"saved {root / version}  (total {time.perf_counter() - t_start:.1f}s)")
    if promote:
        registry.promote(version, root)
        progress(f"promoted {version}")
    stage(1.0, f"saved {version}")
    return version


def _without(ds: Dataset, keys: frozenset[str]) -> Dataset:
    """``ds`` without the items whose dedup key is in ``keys`` (texts a person labelled)."""
    if not keys:
        return ds
    return Dataset(items=[it for it in ds.items if dedup_key(it.text) not in keys], stats=ds.stats)


def _data_card(version: str, created_at: str, ds: Dataset, resolved: ResolvedLabels, merged: dict,
               label_weight: float, source_weights: dict[str, float] | None) -> dict:
    from .frozen import FrozenSetError, read_manifest
    from .labels import DEFAULT_SOURCE_WEIGHTS

    try:
        frozen = {name: meta["sha256"] for name, meta in read_manifest()["sets"].items()}
    except (OSError, ValueError, KeyError, FrozenSetError):
        frozen = {}
    return {
        "version": version,
        "created_at": created_at,
        "corpus": {"data_hash": ds.data_hash, "items": len(ds.items), "counts": ds.counts()},
        "labels": {
            "hash": resolved.labels_hash if resolved.labels else None,
            "input": resolved.stats.get("input", 0),
            "trained": len(resolved.labels),
            "duplicates": resolved.stats.get("duplicates", 0),
            "not_trained_weight_0": resolved.stats.get("not_trained_weight_0", 0),
            "not_trained_customer_blame": resolved.stats.get("not_trained_customer_blame", 0),
            "empty_after_preparation": resolved.stats.get("empty_after_preparation", 0),
            "weight": label_weight,
            "source_weights": {**DEFAULT_SOURCE_WEIGHTS, **(source_weights or {})},
            "by_source": resolved.counts_by_source,
            "by_cause": resolved.counts_by_cause,
            "by_source_cause": resolved.counts_by_source_cause,
        },
        "conflicts": resolved.conflicts,
        "corpus_items_replaced": merged["replaced"],
        "overrides_corpus": merged["overrides"],
        "frozen_sets": frozen,
    }


def _write_card(staging: Path, card: dict, resolved: ResolvedLabels) -> None:
    from .version_card import render_markdown

    (staging / "datacard.json").write_text(json.dumps(card, indent=2, ensure_ascii=False), encoding="utf-8")
    (staging / "DATACARD.md").write_text(render_markdown(card), encoding="utf-8")
    # The trained labels themselves (prepared, i.e. redacted, text): the frozen
    # evaluation leaves these keys out, and an auditor can see what was taught.
    with (staging / "training_labels.jsonl").open("w", encoding="utf-8") as fh:
        for tl in resolved.labels:
            fh.write(json.dumps({"key": tl.key, "text": tl.text, "cause": tl.cause, "weight": tl.weight,
                                 "source": tl.source, "who": tl.who, "at": tl.at}, ensure_ascii=False) + "\n")


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
