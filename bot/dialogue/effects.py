"""What a dialogue turn decided to store, as small immutable values.

The engine returns a list of these; ``bot.conversation.turns`` applies them in
order, in the caller's transaction, with their audit rows (and
``bot.conversation.records`` for the import, in memory). Adding an effect means one
dataclass here, one line in ``Effect`` and one applier in each of those two.
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


@dataclass(frozen=True)
class SetStatus:
    """Move the survey to ``status``."""

    status: SurveyStatus


@dataclass(frozen=True)
class RaiseFlag:
    """Flag the survey for supervisor follow-up."""

    kind: FlagKind
    text: str


Effect = RecordRating | RecordReason | SetStatus | RaiseFlag


def status_change(current: str, new: SurveyStatus) -> tuple[SetStatus, ...]:
    """The effects moving a survey from ``current`` to ``new``: none when it is there already."""
    return () if current == new else (SetStatus(status=new),)
