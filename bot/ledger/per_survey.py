"""The SQL building blocks of every KPI: one row per survey of a period, its counted rating and its bucket.

The buckets are the product's scoring contract: every counted rating of
1–3 falls in exactly one of ``staff_low``, ``non_staff_low`` or
``unattributed_low`` by its current reason. What counts as a staff
attribution is written once here (:func:`is_staff_attributed`,
:func:`is_staff_low`); scoring, the cause report and the trend series all
select from the same per-survey row (:func:`per_survey`, materialised in
``survey_facts`` by ``bot.ledger.fact_table``), so they can never disagree.
"""
from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlalchemy import ColumnElement, Select, Table, and_, case, false, func, literal, null, or_, select, true
from sqlalchemy.orm import aliased

from bot.db.models import Call, Rating, Reason, Survey
from bot.db.planner import NoIndex
from bot.db.staff import Appeal
from bot.db.survey_facts import NON_STAFF_LOW as NON_STAFF_LOW  # the bucket's name: its partial index names it
from bot.db.survey_facts import SurveyFact
from bot.domain import PENDING_APPEAL_STATUSES, AppealStatus, Attribution, RatingStatus, ReasonSource
from bot.ledger.counting import is_counted_rating, is_current_reason

STAFF_LOW = "staff_low"
UNATTRIBUTED_LOW = "unattributed_low"
#: A staff attribution removed by an upheld appeal: counted as unattributed, reported under ``excluded``.
APPEAL_UPHELD = "appeal_upheld"

#: Sources whose attribution a person confirmed (the customer chose it, a reviewer set it, an import gave it,
#: an appeal's decider chose it).
CONFIRMED_SOURCES = (ReasonSource.CUSTOMER, ReasonSource.REVIEWER, ReasonSource.IMPORT, ReasonSource.APPEAL)


def is_low() -> ColumnElement[bool]:
    """The rating is a 1–3 (the ratings that get a bucket)."""
    return Rating.score <= 3


def is_awaiting_review() -> ColumnElement[bool]:
    """The current reason is the model's reading waiting for a person: it blames nobody yet, whatever it says."""
    return and_(Reason.source == ReasonSource.MODEL, Reason.needs_review.is_(true()))


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


#: Per rating with an appeal on any of its reasons: ``upheld`` (an upheld appeal removed the rating from the
#: agent's KPI, whatever reason comes later) and ``pending`` (an appeal still waits: 申诉中). Keyed by rating, not
#: reason: an upheld appeal writes the decider's cause as a new reason (source ``appeal``), and a later relabel
#: must not put the rating back. Outer-joined by :func:`per_survey`; a join rather than EXISTS: PostgreSQL would
#: copy an EXISTS sub-plan into every CASE count that reads the bucket. Reached from the appeals (a few) by the
#: reasons' primary key: without statistics SQLite grouped by walking an index of every reason (ordered by
#: rating) and looked for an appeal of each, so each refresh of some surveys' facts read the whole of ``reasons``
#: (300,000 imported calls: 10.8 ms per 500 surveys, 3.1 ms from the appeals; the gap grows with the table).
_APPEAL_REASON = aliased(Reason)
UPHELD_APPEALS = (
    select(_APPEAL_REASON.rating_id.label("rating_id"),
           func.max(case((Appeal.status == AppealStatus.UPHELD, 1), else_=0)).label("upheld"),
           func.max(case((Appeal.status.in_(PENDING_APPEAL_STATUSES), 1), else_=0)).label("pending"))
    .join(_APPEAL_REASON, _APPEAL_REASON.id == NoIndex(Appeal.reason_id))
    .group_by(_APPEAL_REASON.rating_id)
    .subquery("rating_appeals"))


def is_appeal_upheld() -> ColumnElement[bool]:
    """An upheld appeal removed the counted rating from the agent's KPI (needs :data:`UPHELD_APPEALS` joined)."""
    return func.coalesce(UPHELD_APPEALS.c.upheld, 0) == 1


def is_appeal_pending() -> ColumnElement[bool]:
    """An appeal on the counted rating waits for a decision (needs :data:`UPHELD_APPEALS` joined)."""
    return func.coalesce(UPHELD_APPEALS.c.pending, 0) == 1


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
        # Awaiting review: unattributed whatever the provisional attribution (the scoring contract).
        (is_awaiting_review(), literal(UNATTRIBUTED_LOW)),
        (Reason.attribution == Attribution.NON_STAFF, literal(NON_STAFF_LOW)),
        else_=literal(UNATTRIBUTED_LOW),
    )


def _rating_count(status: RatingStatus) -> ColumnElement[int]:
    """How many rating rows of the survey have ``status`` (correlated; late and corrected are kept, not counted)."""
    other = aliased(Rating)
    return (select(func.count()).select_from(other)
            .where(other.survey_id == Survey.id, other.status == status).scalar_subquery())


def per_survey(*columns) -> Select:
    """The canonical per-survey row of every KPI: one row per survey, with its counted rating, reason and bucket.

    ``bot.ledger.fact_table`` materialises exactly this query into
    ``survey_facts``; :func:`survey_facts` restricts it to a period. The
    rating and reason are outer-joined, so their columns are NULL for a survey
    without a counted rating (or a rating without a reason).

    Args:
        *columns: Extra columns to select besides the standard ones.

    Returns:
        A ``Select`` with columns ``survey_id``, ``agent_id``, ``team_id``,
        ``ended_at``, ``survey_status``, ``rating_id``, ``score``,
        ``reason_id``, ``attribution``, ``cause``, ``source``,
        ``needs_review``, ``appeal_upheld``, ``appeal_open``, ``late``, ``corrected``,
        ``bucket``, ``channel`` (the call's: web, sms, wechat) and the extras.
    """
    return (
        select(
            Survey.id.label("survey_id"),
            Call.credited_agent_id.label("agent_id"),
            Call.team_id.label("team_id"),
            Call.ended_at.label("ended_at"),
            Survey.status.label("survey_status"),
            Rating.id.label("rating_id"),
            Rating.score.label("score"),
            Reason.id.label("reason_id"),
            Reason.attribution.label("attribution"),
            Reason.cause.label("cause"),
            Reason.source.label("source"),
            Reason.needs_review.label("needs_review"),
            is_appeal_upheld().label("appeal_upheld"),
            is_appeal_pending().label("appeal_open"),
            _rating_count(RatingStatus.LATE).label("late"),
            _rating_count(RatingStatus.CORRECTED).label("corrected"),
            bucket().label("bucket"),
            Call.channel.label("channel"),
            *columns,
        )
        .select_from(Call)
        .join(Survey, Survey.call_id == Call.id)
        .outerjoin(Rating, and_(Rating.survey_id == Survey.id, is_counted_rating()))
        .outerjoin(Reason, and_(Reason.rating_id == Rating.id, is_current_reason()))
        .outerjoin(UPHELD_APPEALS, UPHELD_APPEALS.c.rating_id == Rating.id)
    )


def survey_facts(start: datetime, end: datetime, *columns) -> Select:
    """:func:`per_survey` for the calls that ended in ``[start, end)`` (UTC), computed from the source tables.

    Scoring reads the materialised copy (:func:`fact_rows`,
    same column names); this direct form is the reference it is checked
    against (``feedbackbot facts verify`` and the tests).
    """
    return per_survey(*columns).where(Call.ended_at >= start, Call.ended_at < end)


#: The materialised copy of :func:`per_survey` (kept by ``bot.ledger.fact_table``).
FACTS = cast(Table, SurveyFact.__table__)
#: Fact column ← per_survey column (the fact table names the agent column after calls.credited_agent_id).
FACT_COLUMNS = {c.name: ("agent_id" if c.name == "credited_agent_id" else c.name) for c in FACTS.columns}


def fact_rows(start: datetime, end: datetime, *, by_period: bool = True) -> Select:
    """The stored facts of the calls that ended in ``[start, end)``, under :func:`per_survey`'s column names.

    ``by_period=False``: for a statement that reaches its rows down another index, SQLite (which plans without
    statistics) is kept from walking the period's rows instead (:class:`bot.db.planner.NoIndex`).
    """
    ended = FACTS.c.ended_at if by_period else NoIndex(FACTS.c.ended_at)
    return (select(*(FACTS.c[name].label(label) for name, label in FACT_COLUMNS.items()))
            .where(ended >= start, ended < end))


def count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
    """``COUNT(*) FILTER (WHERE condition)``: 0, not NULL, on no rows; cheaper than SUM(CASE …) on SQLite."""
    return func.count().filter(condition)
