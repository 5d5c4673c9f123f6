"""Gated promotion and one-step rollback of model versions, with their history.

:func:`promote_with_gate` scores the promoted version and the candidate on the
frozen sets (the same texts: the person labels of *both* versions are left
out), asks :func:`~classifiers.training.gate.compare`, and promotes only when
the gate allows it or when an admin forces it with a written reason. Every
promotion and rollback is appended to ``<model root>/promotion_log.jsonl`` and
handed to ``on_promoted`` (the database's promotion history hooks in there);
the decision is also written into the version (``promotion.json``).

:func:`classifiers.registry.promote` stays the low-level write of ``CURRENT``.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from .. import registry
from .frozen import FrozenSet, GoldenAppeal, evaluate_frozen, training_label_keys
from .gate import GateDecision, GateSettings, compare

#: ``on_promoted(from_version, to_version, who, why, report)``; ``report`` holds the
#: action ("promote"/"rollback"), whether it was forced, the gate decision and both reports.
OnPromoted = Callable[[str | None, str, str, str | None, dict], None]


class PromotionError(RuntimeError):
    """A promotion or rollback that cannot be done (no reason for an override, nothing to roll back to)."""


@dataclass
class PromotionResult:
    """What :func:`promote_with_gate` did."""

    promoted: bool
    forced: bool
    from_version: str | None
    to_version: str
    decision: GateDecision
    current_report: dict | None
    candidate_report: dict


def _summary(report: dict | None) -> dict | None:
    """The figures of a report without the per-appeal answers (kept small for logs)."""
    if report is None:
        return None
    golden = {k: v for k, v in report.get("golden", {}).items() if k != "answers"}
    return {"version": report.get("version"), "sets": report.get("sets"), "golden": golden}


#: The latest gate comparison of a version against the version promoted at the time (for the model page).
COMPARISON = "comparison.json"


def save_comparison(candidate: str, decision: GateDecision, current_report: dict | None, candidate_report: dict,
                    root: Path | None = None) -> dict:
    """Keep the gate's answer and both reports (per frozen set, without per-appeal answers) in the version.

    Written atomically (a reader sees the previous comparison or this one); returns what was written.
    """
    root = root or registry.model_root()
    data = {"at": datetime.now(UTC).isoformat(timespec="seconds"), "candidate": candidate,
            "current": current_report.get("version") if current_report else None,
            "decision": decision.to_json(), "reports": {"current": _summary(current_report),
                                                        "candidate": _summary(candidate_report)}}
    target = registry.version_dir(candidate, root) / COMPARISON
    tmp = target.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False), encoding="utf-8")
    tmp.replace(target)
    return data


def read_comparison(version: str, root: Path | None = None) -> dict | None:
    """The comparison kept by :func:`save_comparison`, or ``None`` (never compared, or unreadable)."""
    try:
        path = registry.version_dir(version, root) / COMPARISON
        data = json.loads(path.read_text(encoding="utf-8"))
    except (registry.ModelNotAvailableError, OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def gate_reports(
    current: str,
    candidate: str,
    *,
    root: Path | None = None,
    frozen_sets: Sequence[FrozenSet] | None = None,
    golden_appeals: Sequence[GoldenAppeal | tuple[str, str, bool]] = (),
) -> tuple[dict, dict]:
    """Reports of two versions on the same texts (both versions' person labels left out)."""
    root = root or registry.model_root()
    keys = training_label_keys(registry.version_dir(current, root)) | training_label_keys(
        registry.version_dir(candidate, root))
    cur = evaluate_frozen(current, frozen_sets, golden_appeals, root=root, exclude_keys=keys)
    cand = evaluate_frozen(candidate, frozen_sets, golden_appeals, root=root, exclude_keys=keys)
    return cur, cand


def compare_versions(
    current: str,
    candidate: str,
    *,
    root: Path | None = None,
    settings: GateSettings | None = None,
    frozen_sets: Sequence[FrozenSet] | None = None,
    golden_appeals: Sequence[GoldenAppeal | tuple[str, str, bool]] = (),
) -> tuple[GateDecision, dict, dict]:
    """The gate's decision for replacing ``current`` by ``candidate`` (ids or aliases), with both reports."""
    root = root or registry.model_root()
    current, candidate = registry.resolve(current, root), registry.resolve(candidate, root)
    cur, cand = gate_reports(current, candidate, root=root, frozen_sets=frozen_sets, golden_appeals=golden_appeals)
    return compare(cur, cand, settings), cur, cand


def _record(root: Path, action: str, from_v: str | None, to_v: str, who: str, why: str | None, forced: bool,
            decision: GateDecision | None, cur: dict | None, cand: dict | None,
            on_promoted: OnPromoted | None) -> None:
    report = {
        "action": action,
        "forced": forced,
        "decision": decision.to_json() if decision is not None else None,
        "current": _summary(cur),
        "candidate": _summary(cand),
    }
    entry = {"action": action, "from": from_v, "to": to_v, "who": who, "why": why, "forced": forced,
             "allowed": decision.allowed if decision is not None else None,
             "reasons": decision.reasons if decision is not None else []}
    registry.append_promotion_log(entry, root)
    if action == "promote":
        meta = {"promoted_at": datetime.now(UTC).isoformat(timespec="seconds"), **entry, "gate": report["decision"]}
        (registry.version_dir(to_v, root) / "promotion.json").write_text(
            json.dumps(meta, indent=2, ensure_ascii=False), encoding="utf-8")
    if on_promoted is not None:
        on_promoted(from_v, to_v, who, why, report)


def promote_with_gate(
    candidate: str,
    *,
    who: str,
    why: str | None = None,
    force: bool = False,
    root: Path | None = None,
    settings: GateSettings | None = None,
    frozen_sets: Sequence[FrozenSet] | None = None,
    golden_appeals: Sequence[GoldenAppeal | tuple[str, str, bool]] = (),
    on_promoted: OnPromoted | None = None,
) -> PromotionResult:
    """Promote ``candidate`` if the gate allows it (or if forced with a written reason).

    Args:
        candidate: Version id (or ``"latest"``).
        who: The person promoting (recorded).
        why: Reason; required with ``force``.
        force: Promote even when the gate refuses (the override is recorded).
        root: Model root.
        settings: Gate thresholds.
        frozen_sets: Sets to compare on (default: all pinned sets).
        golden_appeals: Decided appeals ``(text, cause, upheld)``.
        on_promoted: Called after a promotion with ``(from, to, who, why, report)``.

    Raises:
        PromotionError: ``force`` without a reason.
    """
    root = root or registry.model_root()
    candidate = registry.resolve(candidate, root)
    registry.version_dir(candidate, root)
    if force and not (why and why.strip()):
        raise PromotionError("an override (--force) needs a written reason (--why)")
    current = registry.current_version(root)
    if current is not None:
        try:
            registry.version_dir(current, root)
        except registry.ModelNotAvailableError:
            current = None  # CURRENT names a version that is gone: nothing to compare with
    if current is None or current == candidate:
        cand = evaluate_frozen(candidate, frozen_sets, golden_appeals, root=root)
        note = "no promoted version to compare with" if current is None else "candidate is already promoted"
        decision, cur = GateDecision(allowed=True, reasons=[], table=[]), None
        decision.reasons.append(note)
        decision.allowed = True
    else:
        cur, cand = gate_reports(current, candidate, root=root, frozen_sets=frozen_sets, golden_appeals=golden_appeals)
        decision = compare(cur, cand, settings)
    forced = bool(force and not decision.allowed)
    if not decision.allowed and not force:
        return PromotionResult(False, False, current, candidate, decision, cur, cand)
    if current != candidate:
        # Who, why and the gate's figures go with the promotion into the store's record (the bot's history).
        registry.promote(candidate, root, actor=who, why=why,
                         report={"forced": forced, "decision": {"allowed": decision.allowed,
                                                                "reasons": list(decision.reasons)},
                                 "current": _summary(cur), "candidate": _summary(cand)})
        _record(root, "promote", current, candidate, who, why, forced, decision, cur, cand, on_promoted)
    return PromotionResult(True, forced, current, candidate, decision, cur, cand)


def previous_version(root: Path | None = None) -> str | None:
    """The version the promoted one replaced (from the promotion log), if it still exists."""
    root = root or registry.model_root()
    current = registry.current_version(root)
    for entry in reversed(registry.read_promotion_log(root)):
        if entry.get("action") == "promote" and entry.get("to") == current and entry.get("from"):
            prev = entry["from"]
            return prev if (root / prev / "model").is_dir() else None
    return None


def rollback(
    *,
    who: str,
    why: str | None = None,
    to: str | None = None,
    root: Path | None = None,
    on_promoted: OnPromoted | None = None,
) -> tuple[str, str]:
    """Go back: promote the version the current one replaced, or ``to``, an earlier promoted version.

    Not gated: the target passed the gate (or an audited override) when it was promoted.

    Args:
        who: The person rolling back (recorded).
        why: Reason (recorded).
        to: A version promoted before (default: the one the current version replaced).
        root: Model root.
        on_promoted: Called with ``(from, to, who, why, report)``, ``report["action"] == "rollback"``.

    Returns:
        ``(from_version, to_version)``.

    Raises:
        PromotionError: Nothing promoted, no earlier version recorded, or ``to`` was never promoted.
    """
    root = root or registry.model_root()
    current = registry.current_version(root)
    if current is None:
        raise PromotionError(f"no promoted version under {root}")
    if to is not None:
        promoted_before = {e.get("to") for e in registry.read_promotion_log(root) if e.get("action") == "promote"}
        if to not in promoted_before or not (root / to / "model").is_dir():
            raise PromotionError(f"{to} was never promoted under {root} (or is gone); promote it through the gate")
        prev: str | None = to
    else:
        prev = previous_version(root)
    if prev is None:
        raise PromotionError(f"no earlier promoted version of {current} is recorded in {root / registry.PROMOTION_LOG}")
    registry.promote(prev, root, action="rollback", actor=who, why=why)
    _record(root, "rollback", current, prev, who, why, False, None, None, None, on_promoted)
    return current, prev
