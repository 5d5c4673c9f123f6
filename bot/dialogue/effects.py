"""What a dialogue turn decided to store, as small immutable values.

The engine returns a list of these; ``bot.conversation.records.apply`` turns
them into rows (the one applier, for the live turn and the import alike).
Adding an effect means one dataclass here, one line in ``Effect`` and one
entry in that applier's table.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bot.domain import FlagKind, ReasonSource, SurveyStatus


@dataclass(frozen=True)
class RecordRating:
    """Store a score given by the customer (``text`` is their raw reply)."""

    score: int
    text: str


@dataclass(frozen=True)
class RecordReason:
    """Attach a cause to a rating.

    ``on`` names the rating: ``"new"`` is the one recorded earlier in the same
    turn, ``"counted"`` the one that counted when the turn began.
    """

    cause: str
    attribution: str
    source: ReasonSource
    confidence: float | None
    model_version: str | None
    evidence: str | None
    needs_review: bool
    text: str
    on: Literal["new", "counted"]
    # The model's own reading when a person chose the cause (kept for the review queue).
    model_cause: str | None = None
    model_confidence: float | None = None


@dataclass(frozen=True)
class SetStatus:
    """Move the survey to ``status``."""

    status: SurveyStatus


@dataclass(frozen=True)
class RaiseFlag:
    """Flag the survey for supervisor follow-up."""

    kind: FlagKind
    text: str


@dataclass(frozen=True)
class OptBackIn:
    """The customer of an opted-out survey asked for surveys again: take their channel off the opt-out list."""


Effect = RecordRating | RecordReason | SetStatus | RaiseFlag | OptBackIn


def status_change(current: str, new: SurveyStatus) -> tuple[SetStatus, ...]:
    """The effects moving a survey from ``current`` to ``new``: none when it is there already."""
    return () if current == new else (SetStatus(status=new),)
