"""Cause classification for post-call feedback (jieba + spaCy).

Public API (see ``classifiers/api.py`` for the contract)::

    from classifiers import classify, classify_many, CauseResult, CAUSES, ATTRIBUTION

A process sets its model store once with :func:`configure` (``classifiers.registry``).
"""
from .api import (
    ATTRIBUTION,
    CAUSES,
    CauseResult,
    ModelNotAvailableError,
    classify,
    classify_many,
    current_model_version,
    model_loaded,
    ranked_causes,
    staff_threshold,
)
from .registry import configure

__all__ = [
    "model_loaded",
    "ranked_causes",
    "staff_threshold",
    "ATTRIBUTION",
    "CAUSES",
    "CauseResult",
    "ModelNotAvailableError",
    "classify",
    "classify_many",
    "configure",
    "current_model_version",
]
