"""Loading, cleaning, de-duplicating and splitting the labelled items.

Data lives in ``classifiers/data/items/*.jsonl``; each line is
``{"text", "cause", "industry"}`` with ``cause`` one of the 11 codes or
``"unclear"``.

Every text goes through :func:`classifiers.text.prepare_text` (normalise, then redact PII),
exactly as at inference time. Duplicates are found on a *dedup key*: the
prepared text lower-cased with punctuation, whitespace and emoji removed,
so "态度差！！" and "態度差😡" count as one item. A key that occurs under
two different labels is dropped (the writers disagreed; neither label is
safe to learn).

The split is fixed once and for all by a salted SHA-1 of the dedup key:
bucket ``< 70`` → train, ``< 85`` → dev, else test. An item's split never
changes when data is added or reordered, and near-identical texts always
land in the same split, so the test split never leaks into training.
"""
from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ..labels import LABELS
from ..text import prepare_text

DEFAULT_DATA_DIR = Path(__file__).resolve().parent.parent / "data" / "items"
SPLIT_SALT = "feedbackbot-cause-split-v1"
SPLITS = ("train", "dev", "test")

_NON_WORD = re.compile(r"[\W_]+")


def dedup_key(prepared: str) -> str:
    """Key under which two prepared texts count as duplicates."""
    key = _NON_WORD.sub("", prepared.lower())
    return key or prepared


def split_of(key: str) -> str:
    """Deterministic split of a dedup key (70/15/15)."""
    bucket = int(hashlib.sha1((SPLIT_SALT + key).encode("utf-8")).hexdigest()[:8], 16) % 100
    return "train" if bucket < 70 else "dev" if bucket < 85 else "test"


@dataclass(frozen=True)
class Item:
    text: str  # prepared (normalised + redacted)
    label: str  # one of LABELS
    industry: str
    split: str
    source: str


@dataclass
class Dataset:
    items: list[Item]
    stats: dict = field(default_factory=dict)

    def split(self, name: str) -> list[Item]:
        return [it for it in self.items if it.split == name]

    def texts_labels(self, name: str) -> tuple[list[str], list[str]]:
        part = self.split(name)
        return [it.text for it in part], [it.label for it in part]

    @property
    def data_hash(self) -> str:
        h = hashlib.sha256()
        for it in sorted(self.items, key=lambda i: (i.split, i.label, i.text)):
            h.update(f"{it.split}\t{it.label}\t{it.text}\n".encode())
        return h.hexdigest()

    def counts(self) -> dict[str, dict[str, int]]:
        """``{label: {split: n}}`` over all labels (0 where missing)."""
        c = Counter((it.label, it.split) for it in self.items)
        return {lab: {s: c[(lab, s)] for s in SPLITS} for lab in LABELS}


def load_dataset(data_dir: str | Path | None = None, *, strict_splits: bool = True) -> Dataset:
    """Load, prepare, de-duplicate and split every ``*.jsonl`` under ``data_dir``.

    Malformed lines (bad JSON, unknown label, empty text) are counted in
    ``stats`` and skipped, never fatal: the files are hand-written.

    Args:
        data_dir: Directory holding ``*.jsonl`` files (default: the project data).
        strict_splits: Raise ``ValueError`` if some label is missing from a split.
    """
    data_dir = Path(data_dir) if data_dir else DEFAULT_DATA_DIR
    files = sorted(data_dir.glob("*.jsonl"))
    if not files:
        raise FileNotFoundError(f"no *.jsonl files under {data_dir}")
    stats: Counter = Counter()
    by_key: dict[str, list[tuple[str, str, str, str]]] = {}
    for path in files:
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                line = line.strip()
                if not line:
                    continue
                stats["lines"] += 1
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError:
                    stats["bad_json"] += 1
                    continue
                if not isinstance(obj, dict):
                    stats["bad_json"] += 1
                    continue
                label = obj.get("cause")
                if label not in LABELS:
                    stats["unknown_label"] += 1
                    continue
                text = prepare_text(obj.get("text"))
                if not text:
                    stats["empty_text"] += 1
                    continue
                key = dedup_key(text)
                by_key.setdefault(key, []).append((text, label, str(obj.get("industry") or "unknown"), path.name))
    items: list[Item] = []
    for key, rows in by_key.items():
        labels = {r[1] for r in rows}
        if len(labels) > 1:
            stats["conflicting_keys"] += 1
            stats["conflicting_lines"] += len(rows)
            continue
        stats["duplicates_dropped"] += len(rows) - 1
        text, label, industry, source = rows[0]
        items.append(Item(text=text, label=label, industry=industry, split=split_of(key), source=source))
    items.sort(key=lambda i: (i.source, i.label, i.text))
    ds = Dataset(items=items, stats=dict(stats))
    ds.stats["items"] = len(items)
    if strict_splits:
        missing = [(lab, s) for lab, per in ds.counts().items() for s, n in per.items() if n == 0]
        if missing:
            raise ValueError(f"labels missing from splits: {missing[:12]} (data under {data_dir} too small?)")
    return ds
