"""Page contexts of the review queue, the adjudication list and the agreement figures."""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.db.staff import Team
from bot.domain import CAUSES
from bot.settings import Settings
from bot.staff import agreement, review_queue
from bot.staff.review_queue import QueueFilter, QueueItem
from bot.web import display, messages

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ModelView:
    """The model's top causes for the item in focus, re-read by the promoted model at display time."""

    version: str | None
    ranked: list[tuple[str, float]]
    unavailable: bool = False
    loading: bool = False


_loader: threading.Thread | None = None
_loader_lock = threading.Lock()


def _load_in_background() -> None:
    """Start loading the classifier once (it takes seconds): the page never waits for it."""
    global _loader
    with _loader_lock:
        if _loader is None or not _loader.is_alive():
            from classifiers import current_model_version

            def load() -> None:
                try:
                    current_model_version()
                except Exception as exc:  # noqa: BLE001 - no model: the pages say so
                    log.warning("review queue: classifier not loaded: %s", exc)

            _loader = threading.Thread(target=load, name="classifier-load", daemon=True)
            _loader.start()


def model_view(item: QueueItem | None) -> ModelView | None:
    """Re-classify the item in focus with the promoted model (only its top guess is stored with the reason).

    The first page view of a process starts loading the model and shows the
    stored guess only ("loading"); later views re-read the item (about 15 ms).
    """
    if item is None:
        return None
    from classifiers import model_loaded

    if not model_loaded():
        _load_in_background()
        return ModelView(None, [], loading=True)
    try:
        from classifiers import ranked_causes

        version, ranked = ranked_causes([item.text], top=3)
    except Exception as exc:  # noqa: BLE001 - no model here: the page still works from the stored guess
        log.warning("review queue: no classifier for the top causes: %s", exc)
        return ModelView(None, [], unavailable=True)
    return ModelView(version, ranked[0])


def threshold() -> float | None:
    """The promoted model's staff threshold (None without a model: no near-threshold items)."""
    from classifiers import staff_threshold

    return staff_threshold()


def clean_filter(s: Session, team: str, cause: str, source: str) -> QueueFilter:
    """The filters of the query string, unknown values dropped."""
    teams = set(s.scalars(select(Team.name)))
    return QueueFilter(team=team if team in teams else None, cause=cause if cause in CAUSES else None,
                       source=source if source in review_queue.SOURCE_FILTERS else None)


def queue_context(s: Session, settings: Settings, reviewer_id: str, f: QueueFilter) -> dict:
    """The queue, the item in focus (the first reason to label) and the model's reading of it."""
    items, total = review_queue.queue(s, reviewer_id=reviewer_id, threshold=threshold(),
                                      margin=settings.review_margin, f=f)
    focus = next((i for i in items if i.appeal_id is None), None)
    return {
        "items": items, "total": total, "focus": focus, "model": model_view(focus), "keys": display.REVIEW_KEYS,
        "label_names": display.LABEL_NAMES, "kind_names": messages.REVIEW_KIND_NAMES,
        "source_names": messages.REVIEW_SOURCE_NAMES, "teams": sorted(s.scalars(select(Team.name))),
        "filter": f,
    }


def agreement_context(s: Session) -> dict:
    """Agreement figures over every item two reviewers labelled."""
    overall, coarse, per_cause = agreement.report(agreement.label_pairs(s))
    return {"overall": overall, "coarse": coarse, "per_cause": per_cause}
