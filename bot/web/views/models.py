"""What the model page shows of each classifier version: its figures on the test split and the frozen sets."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from bot.domain import CAUSES
from bot.web.display import CAUSE_NAMES, FROZEN_SET_NAMES, GATE_METRICS
from bot.web.views.common import local_time
from classifiers import registry


@dataclass(frozen=True)
class VersionRow:
    """One trained version."""

    version: str
    binary_f1: float | None
    cause_f1: float | None
    false_blame: float | None
    coverage: float | None
    labels: int | None
    gate: bool | None = None  # the gate's latest answer for it (None: never compared)


def _pick(metrics: dict, *keys: str) -> float | None:
    for key in keys:
        node: object = metrics
        for part in key.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        if isinstance(node, int | float):
            return float(node)
    return None


def _gate(data: dict | None) -> bool | None:
    decision = data.get("decision") if data else None
    return bool(decision.get("allowed")) if isinstance(decision, dict) else None


def versions_table(limit: int = 15) -> list[VersionRow]:
    """The newest versions with their test-split figures and the gate's latest answer (newest first)."""
    from classifiers.training.promotion import read_comparison

    rows = []
    for version in reversed(registry.list_versions()[-limit:]):
        try:
            metrics = registry.read_json(version, "metrics.json")
            card = registry.read_json(version, "datacard.json")
        except (registry.ModelNotAvailableError, ValueError):
            metrics, card = {}, {}
        test = metrics.get("test", metrics)
        rows.append(VersionRow(
            version, _pick(test, "binary_macro_f1", "binary_f1"), _pick(test, "cause_macro_f1", "macro_f1",
                                                                                    "final.cause_macro_f1"),
            _pick(test, "false_blame_rate", "false_blame", "final.false_blame"), _pick(test, "staff_coverage",
                                                                                       "coverage", "final.coverage"),
            int(card.get("labels", {}).get("trained", 0)) if isinstance(card.get("labels"), dict) else None,
            _gate(read_comparison(version))))
    return rows


@dataclass(frozen=True)
class MetricRow:
    """One figure of one frozen set for both versions."""

    name: str
    current: float | None
    candidate: float | None
    delta: float | None
    worse: bool  # the candidate is worse on this figure
    integer: bool


@dataclass(frozen=True)
class SetComparison:
    """Both versions on one frozen set."""

    name: str
    title: str
    n: int | None
    rows: list[MetricRow]


@dataclass(frozen=True)
class CauseRow:
    """Per-cause F1 of both versions, one pair per frozen set (in the order of ``Comparison.sets``)."""

    cause: str
    title: str
    pairs: list[tuple[float | None, float | None]]


@dataclass(frozen=True)
class Comparison:
    """The gate's latest comparison of a version with the version promoted at the time."""

    candidate: str
    current: str | None
    at: str
    allowed: bool
    reasons: list[str]
    sets: list[SetComparison]
    causes: list[CauseRow]
    flipped: list[dict]


def _num(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) else None


#: The gate's reasons (``classifiers.training.gate``, English for logs and the CLI) → the staff page's sentence.
_REASONS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^(?P<set>\S+): false blame rises (?P<a>\d+) -> (?P<b>\d+)$"),
     "{set}：误归客服从 {a} 条增加到 {b} 条"),
    (re.compile(r"^(?P<set>\S+): binary F1 drops (?P<a>[\d.]+) -> (?P<b>[\d.]+) \(more than (?P<m>[\d.]+)\)$"),
     "{set}：二分类F1从 {a} 降到 {b}（降幅超过允许的 {m}）"),
    (re.compile(r"^upheld appeal would be blamed on the agent again(?P<too> \(the current version does too\))?: "
                r"(?P<text>.*)$", re.S), "成立的申诉会再次被归给客服{too}：{text}"),
    (re.compile(r"^(?P<set>\S+): (scored for only one version|scored on different texts).*$"),
     "{set}：两个版本不是在同一批文本上评估的，无法比较"),
)


def gate_reason(reason: str) -> str:
    """One of the gate's reasons in Chinese (an unknown one is shown as it is)."""
    for pattern, sentence in _REASONS:
        m = pattern.match(reason)
        if m:
            parts = m.groupdict()
            if "set" in parts:
                parts["set"] = FROZEN_SET_NAMES.get(parts["set"], parts["set"])
            if "too" in parts:
                parts["too"] = "（当前版本也是如此）" if parts["too"] else ""
            return sentence.format(**parts)
    return reason


def _set_order(name: str) -> tuple[int, str]:
    order = list(FROZEN_SET_NAMES)
    return (order.index(name) if name in order else len(order), name)


def comparison(version: str, tz: str) -> Comparison | None:
    """What the gate found when ``version`` was last compared (after training or a promotion attempt).

    Args:
        version: A version of the store.
        tz: The centre's time zone (for when it was compared).
    """
    from classifiers.training.promotion import read_comparison

    data = read_comparison(version)
    if data is None:
        return None
    decision = data.get("decision") or {}
    reports = data.get("reports") or {}
    cur_sets = ((reports.get("current") or {}).get("sets")) or {}
    cand_sets = ((reports.get("candidate") or {}).get("sets")) or {}
    names = sorted(set(cur_sets) | set(cand_sets), key=_set_order)
    sets = []
    for name in names:
        a, b = cur_sets.get(name) or {}, cand_sets.get(name) or {}
        rows = []
        for key, title, higher_better in GATE_METRICS:
            x, y = _num(a.get(key)), _num(b.get(key))
            delta = round(y - x, 4) if x is not None and y is not None else None
            worse = delta is not None and (delta < 0 if higher_better else delta > 0)
            rows.append(MetricRow(title, x, y, delta, worse, key == "false_blame"))
        n = b.get("n", a.get("n"))
        sets.append(SetComparison(name, FROZEN_SET_NAMES.get(name, name), int(n) if isinstance(n, int) else None,
                                  rows))
    causes = [CauseRow(c, CAUSE_NAMES[c], [(_num((cur_sets.get(n) or {}).get("per_cause_f1", {}).get(c)),
                                             _num((cand_sets.get(n) or {}).get("per_cause_f1", {}).get(c)))
                                            for n in names]) for c in CAUSES]
    try:
        at = local_time(datetime.fromisoformat(str(data.get("at"))), tz)
    except ValueError:
        at = ""
    return Comparison(candidate=version, current=data.get("current"), at=at,
                      allowed=bool(decision.get("allowed")),
                      reasons=[gate_reason(str(r)) for r in decision.get("reasons", [])],
                      sets=sets, causes=causes, flipped=list(decision.get("flipped_appeals", [])))


#: Where a person's label came from, as an admin reads it.
LABEL_SOURCE_NAMES = {
    "reviewer": "质检员标注",
    "appeal_upheld": "申诉成立",
    "appeal_rejected": "申诉不成立",
    "panel": "评审组裁定",
    "import": "历史导入的原因",
    "customer_choice": "客户自选原因",
}


@dataclass(frozen=True)
class DataCard:
    """What a version was trained on (its ``datacard.json``), for the version page."""

    corpus_items: int | None
    corpus_hash: str
    labels_given: int
    labels_trained: int
    by_source: list[tuple[str, int]]  # (source title, labels given)
    conflicts: int
    customer_blame_not_trained: int
    zero_weight_not_trained: int


def data_card(version: str) -> DataCard | None:
    """The version's data card, or None when it has none (or it cannot be read)."""
    try:
        card = registry.read_json(version, "datacard.json")
    except (registry.ModelNotAvailableError, ValueError):
        return None
    if not isinstance(card, dict):
        return None
    def part(node: dict, key: str) -> dict:
        value = node.get(key)
        return value if isinstance(value, dict) else {}

    corpus, labels = part(card, "corpus"), part(card, "labels")
    by_source = part(labels, "by_source")

    def count(value: object) -> int:
        return int(value) if isinstance(value, int) else 0

    return DataCard(
        corpus_items=corpus.get("items") if isinstance(corpus.get("items"), int) else None,
        corpus_hash=str(corpus.get("data_hash") or "")[:12],
        labels_given=count(labels.get("input")),
        labels_trained=count(labels.get("trained")),
        by_source=[(LABEL_SOURCE_NAMES.get(k, k), count(v)) for k, v in by_source.items()],
        conflicts=len(card.get("conflicts") or []),
        customer_blame_not_trained=count(labels.get("not_trained_customer_blame")),
        zero_weight_not_trained=count(labels.get("not_trained_weight_0")),
    )
