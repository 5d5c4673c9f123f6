"""Which rating of a survey counts and which reason of a rating is current, defined once, here.

Scoring aggregates over the SQL expressions; the in-memory records of the
one effect applier (``bot.conversation.records``) use :func:`counted_of`, the
same rule over rows held in memory (a test checks both agree on every
sequence of statuses). Nothing else decides which rating counts.

* The **counted rating** of a survey is its newest rating with status
  ``valid``. Late, corrected (superseded) and opted-out ratings never count.
* The **current reason** of a rating is its newest reason; older ones were
  superseded (by the customer, a reviewer or an appeal) and are kept.
"""
from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Protocol, TypeVar

from sqlalchemy import ColumnElement, and_, exists, select
from sqlalchemy.orm import Session, aliased

from bot.db.models import Rating, Reason
from bot.domain import RatingStatus


class _HasStatus(Protocol):
    status: str


_R = TypeVar("_R", bound=_HasStatus)


def counted_of(ratings: Sequence[_R]) -> _R | None:
    """The counted rating among a survey's ``ratings`` (oldest first): the newest with status ``valid``."""
    return next((r for r in reversed(ratings) if r.status == RatingStatus.VALID), None)


@cache  # built once: constructing the alias costs more than running the query
def is_counted_rating() -> ColumnElement[bool]:
    """SQL condition true for the rows of ``ratings`` that count (at most one per survey)."""
    newer = aliased(Rating)
    return and_(
        Rating.status == RatingStatus.VALID,
        ~exists().where(newer.survey_id == Rating.survey_id, newer.status == RatingStatus.VALID,
                        newer.id > Rating.id),
    )


@cache
def is_current_reason() -> ColumnElement[bool]:
    """SQL condition true for the rows of ``reasons`` that are their rating's current reason."""
    later = aliased(Reason)
    return ~exists().where(later.rating_id == Reason.rating_id, later.id > Reason.id)


def has_reason() -> ColumnElement[bool]:
    """SQL condition true for the rows of ``ratings`` that have at least one reason."""
    return exists().where(Reason.rating_id == Rating.id)


def counted_rating(s: Session, survey_id: int) -> Rating | None:
    """The rating that counts for survey ``survey_id``, or None."""
    return s.scalar(select(Rating).where(Rating.survey_id == survey_id, is_counted_rating()))


def current_reason(s: Session, rating_id: int) -> Reason | None:
    """The current reason of rating ``rating_id``, or None."""
    return s.scalar(select(Reason).where(Reason.rating_id == rating_id, is_current_reason()))
