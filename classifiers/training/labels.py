"""Person-given labels as training input: who said which cause for which text, and when.

A :class:`PersonLabel` is one decision of a person (a reviewer, an appeal, a
panel, a centre's import, a customer's own choice). :func:`resolve_labels`
turns many of them into the training rows the trainer adds to the committed
corpus:

* every text is prepared exactly as the corpus is (``prepare_text``:
  normalise, then redact) and keyed by the same de-duplication key
  (:func:`classifiers.training.dataset.dedup_key`);
* several labels for one key: the latest person's decision (largest ``at``)
  wins; when they disagree the key is listed as a conflict for review;
* sources whose weight is 0 are counted but not trained on.

The database side builds these from its tables; the CLI reads them from a JSON
lines file (:func:`read_labels_jsonl`).
"""
from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from ..labels import LABELS, STAFF_CAUSES
from ..text import prepare_text
from .dataset import dedup_key

#: Where a person-given label comes from.
SOURCES: tuple[str, ...] = ("reviewer", "appeal_upheld", "appeal_rejected", "panel", "import", "customer_choice")

#: Default training weight of a label per source, relative to the model's label weight.
#: A customer's own choice has four coarse options (客服人员的服务 / 公司业务或规定 /
#: 网络或系统 / 其他); the stored cause is the model's best reading inside the chosen
#: option. Measured (docs/classifier.md, "customer's choice"): on four new industries
#: the choices of the texts the model asked about raised the held-out cause F1 in every
#: industry although more than half of them named another of the 11 causes than the gold.
#: They train, except where they blame the agent (:data:`NO_BLAME_FROM`).
DEFAULT_SOURCE_WEIGHTS: Mapping[str, float] = {
    "reviewer": 1.0,
    "appeal_upheld": 1.0,
    "appeal_rejected": 1.0,
    "panel": 1.0,
    "import": 1.0,
    "customer_choice": 1.0,
}

#: Sources whose staff causes are counted but never trained on (unless a weight is given
#: explicitly): the customer is a party to the dispute. Choosing "客服人员的服务" is an
#: accusation, not evidence, and teaching the model to blame from accusations is the
#: costly direction; a choice that clears the agent costs at most a question later.
NO_BLAME_FROM: frozenset[str] = frozenset({"customer_choice"})


class LabelError(ValueError):
    """A label that cannot be used (unknown cause or source, no text, bad time)."""


def _as_datetime(at: datetime | str) -> datetime:
    if isinstance(at, datetime):
        dt = at
    elif isinstance(at, str):
        try:
            dt = datetime.fromisoformat(at.strip().replace("Z", "+00:00"))
        except ValueError as exc:
            raise LabelError(f"'at' is not an ISO date-time: {at!r}") from exc
    else:
        raise LabelError(f"'at' must be a datetime or an ISO string, not {type(at).__name__}")
    # Naive times are taken as UTC (the database stores UTC).
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


@dataclass(frozen=True)
class PersonLabel:
    """One cause a person gave for one customer text.

    Args:
        text: The customer's text as stored (redacted or not: it is prepared again).
        cause: One of the 11 cause codes, or ``"unclear"``.
        source: One of :data:`SOURCES`.
        who: The person (user id, login or name) who decided.
        at: When they decided (datetime or ISO string; naive = UTC).
        weight: Training weight of this label; ``None`` = the source's default.
    """

    text: str
    cause: str
    source: str
    who: str
    at: datetime | str
    weight: float | None = None

    def __post_init__(self) -> None:
        if self.cause not in LABELS:
            raise LabelError(f"unknown cause {self.cause!r} (expected one of {', '.join(LABELS)})")
        if self.source not in SOURCES:
            raise LabelError(f"unknown source {self.source!r} (expected one of {', '.join(SOURCES)})")
        if not isinstance(self.text, str) or not self.text.strip():
            raise LabelError("empty text")
        if self.weight is not None and not (isinstance(self.weight, (int, float)) and self.weight >= 0):
            raise LabelError(f"weight must be a number >= 0, not {self.weight!r}")
        object.__setattr__(self, "at", _as_datetime(self.at))

    @property
    def at_dt(self) -> datetime:
        """``at`` as an aware datetime (always, after construction)."""
        at = self.at
        assert isinstance(at, datetime)
        return at

    def to_json(self) -> dict:
        d: dict[str, object] = {"text": self.text, "cause": self.cause, "source": self.source, "who": self.who,
             "at": self.at_dt.isoformat()}
        if self.weight is not None:
            d["weight"] = self.weight
        return d


@dataclass(frozen=True)
class TrainingLabel:
    """A resolved label: the prepared text, its key, the winning decision and its weight."""

    text: str  # prepared (normalised + redacted)
    key: str  # dedup key
    cause: str
    weight: float  # relative to the model's label weight (source default or explicit)
    source: str
    who: str
    at: str  # ISO


@dataclass
class ResolvedLabels:
    """What :func:`resolve_labels` made of the input labels."""

    labels: list[TrainingLabel]  # to train on (weight > 0), one per key, sorted by key
    conflicts: list[dict] = field(default_factory=list)  # keys with disagreeing decisions
    stats: dict = field(default_factory=dict)
    counts_by_source: dict[str, int] = field(default_factory=dict)  # input labels per source
    counts_by_cause: dict[str, int] = field(default_factory=dict)  # trained labels per cause
    counts_by_source_cause: dict[str, dict[str, int]] = field(default_factory=dict)  # trained labels

    @property
    def keys(self) -> frozenset[str]:
        return frozenset(tl.key for tl in self.labels)

    @property
    def labels_hash(self) -> str:
        """sha256 over what is trained on (key order): text, cause and weight of each label."""
        h = hashlib.sha256()
        for tl in self.labels:
            h.update(f"{tl.text}\t{tl.cause}\t{tl.weight:g}\n".encode())
        return h.hexdigest()


def resolve_labels(
    labels: Iterable[PersonLabel],
    source_weights: Mapping[str, float] | None = None,
) -> ResolvedLabels:
    """Prepare, de-duplicate and resolve person labels into training rows.

    Args:
        labels: The person labels, in any order.
        source_weights: Weight per source (default :data:`DEFAULT_SOURCE_WEIGHTS`);
            an explicit ``PersonLabel.weight`` wins over it.

    Returns:
        One label per dedup key (the latest decision), the conflicts and the counts.
    """
    weights = dict(DEFAULT_SOURCE_WEIGHTS)
    weights.update(source_weights or {})
    stats: Counter = Counter()
    by_source: Counter = Counter()
    by_key: dict[str, list[tuple[PersonLabel, str]]] = {}
    for lab in labels:
        stats["input"] += 1
        by_source[lab.source] += 1
        text = prepare_text(lab.text)
        if not text:
            stats["empty_after_preparation"] += 1
            continue
        by_key.setdefault(dedup_key(text), []).append((lab, text))
    out: list[TrainingLabel] = []
    conflicts: list[dict] = []
    for key in sorted(by_key):
        rows = by_key[key]
        # Latest decision wins; among equal times the later in the input (stable sort).
        rows_sorted = sorted(rows, key=lambda r: r[0].at_dt)
        win, text = rows_sorted[-1]
        if len({r[0].cause for r in rows}) > 1:
            conflicts.append({
                "key": key,
                "text": text,
                "winner": {"cause": win.cause, "source": win.source, "who": win.who, "at": win.at_dt.isoformat()},
                "decisions": [
                    {"cause": r[0].cause, "source": r[0].source, "who": r[0].who, "at": r[0].at_dt.isoformat()}
                    for r in rows_sorted
                ],
            })
        stats["duplicates"] += len(rows) - 1
        w = win.weight if win.weight is not None else float(weights.get(win.source, 1.0))
        if win.weight is None and win.source in NO_BLAME_FROM and win.cause in STAFF_CAUSES:
            stats["not_trained_customer_blame"] += 1
            continue
        if w <= 0:
            stats["not_trained_weight_0"] += 1
            continue
        out.append(TrainingLabel(text, key, win.cause, float(w), win.source, win.who, win.at_dt.isoformat()))
    by_cause = Counter(tl.cause for tl in out)
    by_sc: dict[str, Counter] = {}
    for tl in out:
        by_sc.setdefault(tl.source, Counter())[tl.cause] += 1
    stats["trained"] = len(out)
    stats["conflicting_keys"] = len(conflicts)
    return ResolvedLabels(
        labels=out,
        conflicts=conflicts,
        stats=dict(stats),
        counts_by_source=dict(sorted(by_source.items())),
        counts_by_cause={c: by_cause[c] for c in LABELS if by_cause[c]},
        counts_by_source_cause={s: {c: n[c] for c in LABELS if n[c]} for s, n in sorted(by_sc.items())},
    )


def read_labels_jsonl(path: str | Path) -> tuple[list[PersonLabel], list[str]]:
    """Read PersonLabel lines ``{"text","cause","source","who","at"[,"weight"]}`` from a file.

    Bad lines never stop the reading: each is reported as ``"line N: why"``.

    Returns:
        The labels and the list of problems.
    """
    labels: list[PersonLabel] = []
    problems: list[str] = []
    with Path(path).open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
                if not isinstance(obj, dict):
                    raise LabelError("expected a JSON object")
                missing = [k for k in ("text", "cause", "source", "who", "at") if k not in obj]
                if missing:
                    raise LabelError(f"missing {', '.join(missing)}")
                labels.append(PersonLabel(text=obj["text"], cause=obj["cause"], source=obj["source"],
                                          who=str(obj["who"]), at=obj["at"], weight=obj.get("weight")))
            except ValueError as exc:  # JSONDecodeError and LabelError are ValueErrors
                problems.append(f"line {n}: {exc}")
    return labels, problems


def write_labels_jsonl(path: str | Path, labels: Sequence[PersonLabel]) -> None:
    """Write labels in the format :func:`read_labels_jsonl` reads."""
    with Path(path).open("w", encoding="utf-8") as fh:
        for lab in labels:
            fh.write(json.dumps(lab.to_json(), ensure_ascii=False) + "\n")
