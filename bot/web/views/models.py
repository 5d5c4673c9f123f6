"""What the model page shows of each classifier version: its figures on the test split and the frozen sets."""
from __future__ import annotations

from dataclasses import dataclass

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


def _pick(metrics: dict, *keys: str) -> float | None:
    for key in keys:
        node: object = metrics
        for part in key.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        if isinstance(node, int | float):
            return float(node)
    return None


def versions_table(limit: int = 15) -> list[VersionRow]:
    """The newest versions with their test-split figures (newest first)."""
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
            int(card.get("labels", {}).get("used", 0)) if isinstance(card.get("labels"), dict) else None))
    return rows
