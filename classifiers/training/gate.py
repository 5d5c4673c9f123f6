"""The promotion gate: a candidate version may replace the current one only if blame does not get worse.

:func:`compare` is a pure function of two :func:`~classifiers.training.frozen.evaluate_frozen`
reports. The candidate is refused when

* false blame (non-staff or unclear texts booked on the agent without asking)
  rises on any frozen set — by count, on the very same texts;
* an upheld appeal (the agent was cleared) would be booked on the agent again;
* binary staff/non-staff F1 drops by more than ``max_binary_f1_drop`` on any set;
* the two reports were not made on the same texts (a set missing, another
  sha256, other exclusions): then nothing can be concluded.
"""
from __future__ import annotations

from dataclasses import dataclass, field

#: Per-set figures shown side by side (name in the report, label in the table).
TABLE_METRICS: tuple[tuple[str, str], ...] = (
    ("binary_f1", "binary F1"),
    ("cause_macro_f1", "11-cause macro-F1"),
    ("false_blame", "false blame (count)"),
    ("false_blame_rate", "false blame (rate)"),
    ("staff_coverage", "staff coverage"),
)


@dataclass(frozen=True)
class GateSettings:
    """Thresholds of the gate.

    Args:
        max_binary_f1_drop: Largest allowed drop of binary F1 on any frozen set.
        max_false_blame_rise: Largest allowed rise of the false-blame *count* on any set (0: none).
        refuse_upheld_blame: Refuse when the candidate books an upheld appeal on the agent.
    """

    max_binary_f1_drop: float = 0.01
    max_false_blame_rise: int = 0
    refuse_upheld_blame: bool = True


@dataclass
class GateDecision:
    """The gate's answer: allowed or not, why, and the side-by-side table."""

    allowed: bool
    reasons: list[str]
    table: list[dict] = field(default_factory=list)  # {set, metric, current, candidate, delta}
    flipped_appeals: list[dict] = field(default_factory=list)  # golden appeals whose answer changes

    def to_json(self) -> dict:
        return {"allowed": self.allowed, "reasons": list(self.reasons), "table": list(self.table),
                "flipped_appeals": list(self.flipped_appeals)}

    def format(self) -> str:
        """The decision as plain text (for the CLI and logs)."""
        lines = [("ALLOWED" if self.allowed else "REFUSED") + ": " + ("; ".join(self.reasons) or "no regression")]
        lines.append(f"{'set':22s} {'metric':22s} {'current':>9s} {'candidate':>9s} {'delta':>8s}")
        for r in self.table:
            cur, cand, d = r["current"], r["candidate"], r["delta"]
            fmt = (lambda v: f"{v:9d}") if isinstance(cur, int) and isinstance(cand, int) else (lambda v: f"{v:9.4f}")
            lines.append(f"{r['set']:22s} {r['metric']:22s} {fmt(cur)} {fmt(cand)} {d:+8.4f}")
        for a in self.flipped_appeals:
            lines.append(f"appeal flips ({'upheld' if a['upheld'] else 'rejected'}): {a['text']}  "
                         f"{a['current']} -> {a['candidate']}")
        return "\n".join(lines)


def _answer(a: dict) -> str:
    return f"{a['cause']}{' (auto)' if not a['needs_confirmation'] else ' (ask)'}"


def compare(current: dict, candidate: dict, settings: GateSettings | None = None) -> GateDecision:
    """Decide whether ``candidate`` may replace ``current``; both are ``evaluate_frozen`` reports.

    Args:
        current: Report of the promoted version (``None``-free dict).
        candidate: Report of the candidate, on the same sets and exclusions.
        settings: Gate thresholds (default :class:`GateSettings`).
    """
    s = settings or GateSettings()
    reasons: list[str] = []
    table: list[dict] = []
    cur_sets, cand_sets = current.get("sets", {}), candidate.get("sets", {})
    for name in sorted(set(cur_sets) | set(cand_sets)):
        a, b = cur_sets.get(name), cand_sets.get(name)
        if a is None or b is None:
            reasons.append(f"{name}: scored for only one version; not comparable")
            continue
        if a.get("sha256") != b.get("sha256") or a.get("n") != b.get("n"):
            reasons.append(f"{name}: scored on different texts (sha256 or exclusions differ); not comparable")
            continue
        for key, label in TABLE_METRICS:
            if key in a and key in b:
                table.append({"set": name, "metric": label, "current": a[key], "candidate": b[key],
                              "delta": round(b[key] - a[key], 4)})
        rise = b["false_blame"] - a["false_blame"]
        if rise > s.max_false_blame_rise:
            reasons.append(f"{name}: false blame rises {a['false_blame']} -> {b['false_blame']}")
        drop = a["binary_f1"] - b["binary_f1"]
        if drop > s.max_binary_f1_drop + 1e-12:
            reasons.append(f"{name}: binary F1 drops {a['binary_f1']:.4f} -> {b['binary_f1']:.4f} "
                           f"(more than {s.max_binary_f1_drop})")
    cur_ans = {x["text"]: x for x in current.get("golden", {}).get("answers", [])}
    flipped = []
    for x in candidate.get("golden", {}).get("answers", []):
        y = cur_ans.get(x["text"])
        if y is not None and (y["blamed"] != x["blamed"] or y["cause"] != x["cause"]):
            flipped.append({"text": x["text"], "upheld": x["upheld"], "decided_cause": x["decided_cause"],
                            "current": _answer(y), "candidate": _answer(x)})
        if s.refuse_upheld_blame and x["upheld"] and x["blamed"]:
            was = " (the current version does too)" if y is not None and y["blamed"] else ""
            reasons.append(f"upheld appeal would be blamed on the agent again{was}: {x['text']}")
    return GateDecision(allowed=not reasons, reasons=reasons, table=table, flipped_appeals=flipped)
