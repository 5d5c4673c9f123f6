"""Promoting a trained version through the gate, as a job of the runner (evaluation on the frozen sets takes time).

The gate (``classifiers.training.gate``) refuses a version that blames agents
more often on any frozen set, blames an upheld appeal on the agent again, or
loses more binary F1 than allowed; an admin can override only with a written
reason, which is recorded with the promotion in the database's history.
"""
from __future__ import annotations

from typing import Any

from bot.db.session import open_session
from bot.learning.labels import golden_appeals
from bot.settings import Settings

PROMOTE = "promote_classifier"


def promote_version(settings: Settings, version: str, who: str, force: bool = False, why: str | None = None,
                    report: Any = None) -> dict[str, Any]:
    """Promote ``version`` if the gate allows it (or ``force`` with ``why``); returns the gate's answer."""
    from classifiers.training.promotion import promote_with_gate, save_comparison

    with open_session(settings.database_url) as s:
        golden = golden_appeals(s)
    if report is not None:
        report(0.1, "在冻结评估集上比较两个版本")
    result = promote_with_gate(version, who=who, why=why, force=force, golden_appeals=golden)
    if result.current_report is not None:  # compared with the version promoted at the time: the page shows it
        save_comparison(result.to_version, result.decision, result.current_report, result.candidate_report)
    if report is not None:
        report(1.0, ("闸门拒绝，已按管理员填写的理由强制上线" if result.forced else "已上线") if result.promoted
               else "闸门拒绝上线")
    return {"promoted": result.promoted, "forced": result.forced, "from": result.from_version,
            "to": result.to_version, "reasons": list(result.decision.reasons)}
