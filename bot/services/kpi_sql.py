"""The SQL building blocks of every KPI: one row per survey of a period, its counted rating and its bucket.

The buckets are the product's contract (issue 8): every counted rating of
1–3 falls in exactly one of ``staff_low``, ``non_staff_low`` or
``unattributed_low`` by its current reason. What counts as a staff
attribution is written once here (:func:`is_staff_attributed`,
:func:`is_staff_low`); scoring, the cause report and the trend series all
select from :func:`survey_facts`, so they can never disagree.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, Select, and_, case, false, func, literal, null, or_, select

from bot.db.models import Call, Rating, Reason, Survey
from bot.db.staff import Appeal
from bot.domain import AppealStatus, Attribution, ReasonSource
from bot.services.counting import is_counted_rating, is_current_reason

STAFF_LOW = "staff_low"
NON_STAFF_LOW = "non_staff_low"
UNATTRIBUTED_LOW = "unattributed_low"
#: A staff attribution removed by an upheld appeal: counted as unattributed, reported under ``excluded``.
APPEAL_UPHELD = "appeal_upheld"

#: Sources whose staff attribution a person confirmed (the customer chose it, a reviewer set it, an import gave it).
CONFIRMED_SOURCES = (ReasonSource.CUSTOMER, ReasonSource.REVIEWER, ReasonSource.IMPORT)


def is_low() -> ColumnElement[bool]:
    """The rating is a 1–3 (the ratings that get a bucket)."""
    return Rating.score <= 3


def is_staff_attributed() -> ColumnElement[bool]:
    """The current reason blames the agent and someone or a confident model stands behind it.

    A model attribution awaiting review (``needs_review``) does not count:
    blaming an agent wrongly is the costliest error.
    """
    return and_(
        Reason.attribution == Attribution.STAFF,
        or_(Reason.source.in_(CONFIRMED_SOURCES),
            and_(Reason.source == ReasonSource.MODEL, Reason.needs_review.is_(false()))),
    )


#: Reasons removed from the KPI by an upheld appeal; outer-joined by :func:`survey_facts`. A join rather
#: than EXISTS: PostgreSQL would copy an EXISTS sub-plan into every CASE count that reads the bucket.
UPHELD_APPEALS = (select(Appeal.reason_id).where(Appeal.status == AppealStatus.UPHELD).distinct()
                  .subquery("upheld_appeals"))


def is_appeal_upheld() -> ColumnElement[bool]:
    """An upheld appeal removed the current reason from the agent's KPI (needs :data:`UPHELD_APPEALS` joined)."""
    return UPHELD_APPEALS.c.reason_id.is_not(None)


def is_staff_low() -> ColumnElement[bool]:
    """The one definition of ``staff_low``: a counted 1–3 whose current reason is a standing staff attribution."""
    return and_(is_low(), is_staff_attributed(), ~is_appeal_upheld())


def bucket() -> ColumnElement[str | None]:
    """The bucket of a survey's counted rating: one of the constants above, NULL for 4–5 or no rating."""
    return case(
        (Rating.id.is_(None), null()),
        (~is_low(), null()),
        (is_staff_low(), literal(STAFF_LOW)),
        (is_staff_attributed(), literal(APPEAL_UPHELD)),
        (Reason.attribution == Attribution.NON_STAFF, literal(NON_STAFF_LOW)),
        else_=literal(UNATTRIBUTED_LOW),
    )


def survey_facts(start: datetime, end: datetime, *columns) -> Select:
    """One row per survey of the calls that ended in ``[start, end)`` (UTC), with the counted rating and reason.

    The rating and reason are outer-joined, so their columns are NULL for a
    survey without a counted rating (or a rating without a reason).

    Args:
        start: First instant (UTC) of the period.
        end: First instant (UTC) after the period.
        *columns: Extra columns to select besides the standard ones.

    Returns:
        A ``Select`` with columns ``agent_id``, ``team_id``, ``ended_at``,
        ``survey_status``, ``score``, ``bucket``, ``cause`` and the extras;
        callers add filters or wrap it in a subquery.
    """
    return (
        select(
            Call.credited_agent_id.label("agent_id"),
            Call.team_id.label("team_id"),
            Call.ended_at.label("ended_at"),
            Survey.status.label("survey_status"),
            Rating.score.label("score"),
            bucket().label("bucket"),
            Reason.cause.label("cause"),
            *columns,
        )
        .select_from(Call)
        .join(Survey, Survey.call_id == Call.id)
        .outerjoin(Rating, and_(Rating.survey_id == Survey.id, is_counted_rating()))
        .outerjoin(Reason, and_(Reason.rating_id == Rating.id, is_current_reason()))
        .outerjoin(UPHELD_APPEALS, UPHELD_APPEALS.c.reason_id == Reason.id)
        .where(Call.ended_at >= start, Call.ended_at < end)
    )


def count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
    """``SUM(CASE WHEN condition THEN 1 ELSE 0 END)``: a count that is 0, not NULL, on no rows."""
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)
