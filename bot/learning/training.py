"""Retraining from people's decisions as a job of the job runner, with its progress on the admin's model page.

The job reads every person-given label and decided appeal from the database
(:mod:`bot.learning.labels`), trains a new version on the committed corpus
plus those labels (``classifiers.training.pipeline.train``; a data card of
what went in is saved with the version), and compares it with the promoted
version on the frozen sets through the gate. It never promotes: an admin does,
on the model page, through the same gate (an override needs a written reason).
"""
from __future__ import annotations

import logging
from typing import Any

from bot.db.session import open_session
from bot.learning.labels import golden_appeals, person_labels
from bot.settings import Settings

log = logging.getLogger(__name__)
#: The runner's job name (``bot.jobs.catalog``).
TRAIN = "train_classifier"


def train_with_labels(settings: Settings, report: Any = None) -> dict[str, Any]:
    """Train a candidate with every label in the database and compare it with the promoted version.

    Args:
        settings: The process's settings (``DATABASE_URL``; the model store's directory).
        report: ``report(fraction, note)`` for the job log's progress (``bot.jobs.run_log.report_progress``).

    Returns:
        The new version, the label counts and the gate's decision (allowed or why not).
    """
    from classifiers.training.pipeline import train
    from classifiers.training.promotion import compare_versions, save_comparison

    def progress(fraction: float, note: str) -> None:
        if report is not None:
            report(min(0.9, fraction * 0.9), note)

    with open_session(settings.database_url) as s:
        labels, golden = person_labels(s), golden_appeals(s)
    progress(0.0, f"训练数据：语料 + {len(labels)} 条人工标注")
    version = train(settings.classifier_corpus_override, extra_labels=labels, on_progress=progress,
                    progress=log.info)
    if report is not None:
        report(0.92, "在冻结评估集上与当前版本比较")
    decision, current, candidate = compare_versions("current", version, golden_appeals=golden)
    save_comparison(version, decision, current, candidate)
    if report is not None:
        report(1.0, "完成")
    return {"version": version, "labels": len(labels), "golden_appeals": len(golden), "allowed": decision.allowed,
            "reasons": list(decision.reasons)}
