"""Frozen, hash-pinned evaluation sets, and scoring a model version on them.

Versions are compared on the same texts, which nothing added later can move:

* ``test_split_v1`` — the corpus test split as it was when it was frozen
  (``classifiers/data/frozen/test_split_v1.jsonl``, written once by
  :func:`freeze_test_split`; later corpus additions change the live test split,
  not this file);
* ``independent_eval`` and ``independent_eval_2`` — the two sets in
  ``benchmarks/data/`` written by separate writers;
* the golden set of decided appeals, passed in at evaluation time (the
  database holds it).

``classifiers/data/frozen/manifest.json`` records each file's sha256; loading a
set whose bytes differ raises :class:`FrozenSetError`. Texts that entered a
version's training as person labels are left out of every set by dedup key
(:func:`evaluate_frozen` ``exclude_keys``), so a version is never scored on
what it was taught.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .. import registry
from ..labels import ATTRIBUTION, LABELS
from ..text import prepare_text
from .dataset import dedup_key, load_dataset
from .metrics import evaluate

PROJECT_ROOT = registry.PROJECT_ROOT
FROZEN_DIR = PROJECT_ROOT / "classifiers" / "data" / "frozen"
MANIFEST = FROZEN_DIR / "manifest.json"
TEST_SPLIT_V1 = "test_split_v1"


class FrozenSetError(RuntimeError):
    """A frozen set is missing, or its bytes no longer match the pinned sha256."""


@dataclass(frozen=True)
class FrozenSet:
    """One pinned evaluation set: name, file, sha256 and its rows ``(text, gold label)``."""

    name: str
    path: Path
    sha256: str
    rows: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class GoldenAppeal:
    """A decided appeal against a staff attribution.

    Args:
        text: The customer's text.
        cause: The cause decided on appeal.
        upheld: ``True`` if the appeal was upheld (the agent is not to blame).
    """

    text: str
    cause: str
    upheld: bool


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_manifest(manifest: Path = MANIFEST) -> dict:
    """The manifest ``{"sets": {name: {"path", "sha256", "n", "description"}}}``; empty if none."""
    if not manifest.is_file():
        return {"sets": {}}
    return json.loads(manifest.read_text(encoding="utf-8"))


def _write_manifest(data: dict, manifest: Path) -> None:
    manifest.parent.mkdir(parents=True, exist_ok=True)
    manifest.write_text(json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8")


def pin_file(name: str, path: Path, description: str, manifest: Path = MANIFEST) -> dict:
    """Record ``path``'s sha256 under ``name`` in the manifest (refuses to re-pin a changed file)."""
    data = read_manifest(manifest)
    rel = str(Path(path).resolve().relative_to(PROJECT_ROOT)) if Path(path).resolve().is_relative_to(PROJECT_ROOT) else str(path)
    digest = _sha256(Path(path))
    old = data["sets"].get(name)
    if old and old["sha256"] != digest:
        raise FrozenSetError(f"{name} is pinned at sha256 {old['sha256'][:12]}; {path} now hashes to {digest[:12]}")
    n = sum(1 for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip())
    data["sets"][name] = {"path": rel, "sha256": digest, "n": n, "description": description}
    _write_manifest(data, manifest)
    return data["sets"][name]


def freeze_test_split(data_dir: str | Path | None = None, manifest: Path = MANIFEST) -> Path:
    """Write today's corpus test split to ``test_split_v1.jsonl`` once and pin it.

    Refuses (``FrozenSetError``) when the file exists already: a frozen set is
    never rewritten. Lines are ``{"text", "cause"}`` with the prepared text, in
    (cause, text) order.
    """
    out = manifest.parent / f"{TEST_SPLIT_V1}.jsonl"
    if out.exists():
        raise FrozenSetError(f"{out} exists; frozen sets are written once")
    ds = load_dataset(data_dir, strict_splits=False)
    rows = sorted((it.label, it.text) for it in ds.split("test"))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("".join(json.dumps({"text": t, "cause": c}, ensure_ascii=False) + "\n" for c, t in rows),
                   encoding="utf-8")
    pin_file(TEST_SPLIT_V1, out, f"corpus test split frozen at data hash {ds.data_hash[:16]}", manifest)
    return out


def load_frozen_sets(names: Iterable[str] | None = None, manifest: Path = MANIFEST) -> list[FrozenSet]:
    """Load the pinned sets (all, or ``names``), checking each file's sha256.

    Raises:
        FrozenSetError: A set is unknown, missing, or its bytes changed.
    """
    data = read_manifest(manifest)
    wanted = list(names) if names is not None else sorted(data["sets"])
    out = []
    for name in wanted:
        meta = data["sets"].get(name)
        if meta is None:
            raise FrozenSetError(f"no frozen set {name!r} in {manifest}")
        path = Path(meta["path"])
        path = path if path.is_absolute() else PROJECT_ROOT / path
        if not path.is_file():
            raise FrozenSetError(f"frozen set {name!r}: {path} is missing")
        digest = _sha256(path)
        if digest != meta["sha256"]:
            raise FrozenSetError(f"frozen set {name!r} changed: {path} hashes to {digest[:12]}, pinned {meta['sha256'][:12]}")
        rows = []
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                obj = json.loads(line)
                if obj.get("cause") in LABELS:
                    rows.append((obj["text"], obj["cause"]))
        out.append(FrozenSet(name, path, digest, tuple(rows)))
    return out


def _load_model(version_or_model, root: Path | None):
    """(version id, CauseModel, its training label keys) for a version id or a loaded model."""
    from ..model import CauseModel

    if isinstance(version_or_model, CauseModel):
        return "(in memory)", version_or_model, frozenset()
    root = root or registry.model_root()
    version = registry.resolve(version_or_model, root)
    vdir = registry.version_dir(version, root)
    return version, CauseModel.load(vdir / "model"), training_label_keys(vdir)


def training_label_keys(version_dir: Path) -> frozenset[str]:
    """Dedup keys of the person labels a saved version was trained with (empty for corpus-only versions)."""
    path = Path(version_dir) / "training_labels.jsonl"
    if not path.is_file():
        return frozenset()
    return frozenset(json.loads(line)["key"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip())


def _golden_report(model, version: str, appeals: Sequence[GoldenAppeal], exclude: frozenset[str]) -> dict:
    from ..api import results_for

    kept = [a for a in appeals if dedup_key(prepare_text(a.text)) not in exclude]
    res = results_for(model, version, [a.text for a in kept])
    answers = []
    for a, r in zip(kept, res):
        blamed = r.attribution == "staff" and not r.needs_confirmation
        answers.append({
            "text": a.text, "decided_cause": a.cause, "upheld": a.upheld, "cause": r.cause,
            "attribution": r.attribution, "needs_confirmation": r.needs_confirmation, "blamed": blamed,
            # Upheld: the agent was cleared, so an automatic staff booking contradicts the decision.
            # Rejected: the blame stood; not blaming is the model's (milder) disagreement.
            "contradicts_decision": blamed if a.upheld else ATTRIBUTION.get(a.cause) == "staff" and r.attribution != "staff",
        })
    return {
        "n": len(kept),
        "n_excluded": len(appeals) - len(kept),
        "upheld_blamed": [x["text"] for x in answers if x["upheld"] and x["blamed"]],
        "contradicting": [x["text"] for x in answers if x["contradicts_decision"]],
        "answers": answers,
    }


def evaluate_frozen(
    version_or_model,
    frozen_sets: Sequence[FrozenSet] | None = None,
    golden_appeals: Sequence[GoldenAppeal | tuple[str, str, bool]] = (),
    *,
    root: Path | None = None,
    exclude_keys: Iterable[str] | None = None,
    exclude_from_golden: bool = True,
) -> dict:
    """Score a version (id, ``"current"``, ``"latest"``) or a loaded model on the frozen sets.

    Args:
        version_or_model: A version id / alias, or a :class:`~classifiers.model.CauseModel`.
        frozen_sets: The sets (default: every set of the manifest).
        golden_appeals: Decided appeals, as :class:`GoldenAppeal` or ``(text, cause, upheld)``.
        root: Model root.
        exclude_keys: Dedup keys left out of every set (default: the version's own
            training labels). When comparing two versions pass the union of both.
        exclude_from_golden: Also leave those texts out of the golden appeals.

    Returns:
        ``{"version", "sets": {name: {sha256, n_total, n_excluded, binary_f1, cause_macro_f1,
        false_blame, false_blame_rate, staff_coverage, per_cause_f1, ...}}, "golden": {...}}``.
    """
    from ..api import results_for

    version, model, own_keys = _load_model(version_or_model, root)
    exclude = frozenset(exclude_keys) if exclude_keys is not None else own_keys
    sets = list(frozen_sets) if frozen_sets is not None else load_frozen_sets()
    report: dict = {"version": version, "excluded_keys": len(exclude), "sets": {}}
    for fs in sets:
        rows = [(t, y) for t, y in fs.rows if dedup_key(prepare_text(t)) not in exclude]
        res = results_for(model, version, [t for t, _ in rows])
        m = evaluate([y for _, y in rows], [r.cause for r in res], [r.attribution for r in res],
                     [r.needs_confirmation for r in res]) if rows else {}
        m["binary_f1"] = m.get("binary_macro_f1", 0.0)
        m.update({"sha256": fs.sha256, "n_total": len(fs.rows), "n_excluded": len(fs.rows) - len(rows)})
        report["sets"][fs.name] = m
    appeals = [a if isinstance(a, GoldenAppeal) else GoldenAppeal(*a) for a in golden_appeals]
    report["golden"] = _golden_report(model, version, appeals, exclude if exclude_from_golden else frozenset())
    return report
