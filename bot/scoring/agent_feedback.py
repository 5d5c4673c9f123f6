"""One agent's feedback list: every reply to the surveys of their calls in a period, with why it counts or not.

Which rating counts and its bucket are read from ``survey_facts``, the row
the KPIs count (materialised from ``bot.ledger.per_survey`` in every
writer's transaction), and the current reason is that of
``bot.ledger.counting``, so the list and the KPI cards can never disagree
about what counted.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, case, false, func, null, select
from sqlalchemy.orm import Session, aliased

from bot.db.models import Call, Rating, Reason, Survey
from bot.db.staff import Appeal
from bot.db.survey_facts import SurveyFact
from bot.domain import Attribution, RatingStatus
from bot.ledger.counting import is_current_reason
from bot.ledger.per_survey import (
    APPEAL_UPHELD,
    NON_STAFF_LOW,
    STAFF_LOW,
    is_staff_attributed,
)
from bot.scoring.periods import Period

#: The most replies one export holds (newest first). A year of the busiest agents at 10,000,000 ratings a year is
#: about 10,000; a period with more is refused with a message, never cut short without saying so.
EXPORT_MAX_ITEMS = 20_000
#: Replies per page of the agent page's list (newest first; the export holds the whole period). A month of
#: a busy agent is ~850 replies: one page of them read ~3,800 scattered table pages at 10,000,000 ratings
#: (100–140 ms from disk, benchmarks/scoring.py) and rendered a table nobody scrolls.
PAGE_SIZE = 100


@dataclass(frozen=True)
class FeedbackItem:
    """One reply of a customer about one of the agent's calls.

    Attributes:
        status: Why it counts or not: ``satisfied``, ``staff``, ``non_staff``, ``unattributed``, ``review``,
            ``appeal_upheld``, ``late``, ``corrected`` or ``opted_out`` (keys of ``bot.web.display.ITEM_STATUS``).
        appealable: A standing staff attribution of a counted 1–3 without an appeal yet.
    """

    rating_id: int
    call_id: str
    ended_at: datetime
    received_at: datetime
    score: int
    reply: str
    reason_id: int | None
    reason: str | None
    cause: str | None
    evidence: str | None
    status: str
    appeal_status: str | None
    appealable: bool
    appeal_id: int | None = None
    reason_at: datetime | None = None  # when the current reason was recorded (the appeal window starts there)
    survey_id: int | None = None  # the survey page (/surveys/{id}) shows the whole conversation
    channel: str | None = None  # calls.channel: web, sms, wechat
    channel_masked: str | None = None  # the customer's identity as staff may see it (138****5678)


def _status(rating_status: str, counted: bool, score: int, bucket_value: str | None,
            attribution: str | None, staff_pending: bool) -> str:
    if not counted:
        not_counted: dict[str, str] = {RatingStatus.LATE: "late", RatingStatus.OPTED_OUT: "opted_out"}
        return not_counted.get(rating_status, "corrected")
    if score >= 4:
        return "satisfied"
    by_bucket = {STAFF_LOW: "staff", NON_STAFF_LOW: "non_staff", APPEAL_UPHELD: "appeal_upheld"}
    if bucket_value in by_bucket:
        return by_bucket[bucket_value]
    return "review" if attribution == Attribution.STAFF and staff_pending else "unattributed"


def _items_stmt():
    """Every rating of every survey with its counted flag, bucket, current reason and latest appeal (newest call first)."""
    # The counted rating and its bucket as the KPIs store them (survey_facts, kept in every writer's
    # transaction): the list agrees with the cards by construction, and no query aggregates every appeal.
    counted = func.coalesce(SurveyFact.rating_id == Rating.id, false()).label("counted")
    stored_bucket = case((SurveyFact.rating_id == Rating.id, SurveyFact.bucket), else_=null()).label("bucket")
    staff_confirmed = is_staff_attributed().label("staff_confirmed")
    # The rating's latest appeal, whichever of its reasons it was filed on: an upheld appeal adds a new reason.
    appealed = aliased(Reason)
    latest_appeal = (select(Appeal.status).join(appealed, appealed.id == Appeal.reason_id)
                     .where(appealed.rating_id == Rating.id)
                     .order_by(Appeal.id.desc()).limit(1).correlate(Rating).scalar_subquery())
    latest_appeal_id = (select(Appeal.id).join(appealed, appealed.id == Appeal.reason_id)
                        .where(appealed.rating_id == Rating.id)
                        .order_by(Appeal.id.desc()).limit(1).correlate(Rating).scalar_subquery())
    return (
        select(Rating.id, Call.external_id, Call.ended_at, Rating.received_at, Rating.score, Rating.raw_reply,
               Rating.status, counted, stored_bucket, Reason.id, Reason.text, Reason.cause,
               Reason.evidence, Reason.attribution, staff_confirmed, latest_appeal.label("appeal"),
               latest_appeal_id.label("appeal_id"), Reason.created_at, Survey.id, Call.channel, Call.channel_masked)
        .select_from(Call)
        .join(Survey, Survey.call_id == Call.id)
        .join(Rating, Rating.survey_id == Survey.id)
        .outerjoin(Reason, and_(Reason.rating_id == Rating.id, is_current_reason()))
        .outerjoin(SurveyFact, SurveyFact.survey_id == Survey.id)
        .order_by(Call.ended_at.desc(), Rating.id.desc())
    )


def _items(s: Session, stmt) -> list[FeedbackItem]:
    items = []
    for (rid, call_id, ended, received, score, reply, rstatus, is_counted, bkt, reason_id, text, code,
         evidence, attribution, confirmed, appeal, appeal_id, reason_at, survey_id, channel, masked) in s.execute(stmt):
        status = _status(rstatus, bool(is_counted), score, bkt, attribution, not confirmed)
        items.append(FeedbackItem(
            rid, call_id, ended, received, score, reply, reason_id, text, code, evidence, status, appeal,
            appealable=status == "staff" and appeal is None and reason_id is not None, appeal_id=appeal_id,
            reason_at=reason_at, survey_id=survey_id, channel=channel, channel_masked=masked,
        ))
    return items


def agent_feedback(s: Session, agent_id: str, period: Period, *, tz: str, cause: str | None = None,
                   limit: int | None = None, offset: int = 0) -> list[FeedbackItem]:
    """Every rating of the surveys of ``agent_id``'s calls that ended in ``period``, newest first.

    Args:
        s: Open session (read only).
        agent_id: The credited agent.
        period: The period (calls by end time in the centre's zone).
        tz: The centre's time zone.
        cause: Only replies whose current reason has this cause code.
        limit: At most this many (newest first); ``None``: all.
        offset: After skipping this many newer ones.
    """
    start, end = period.bounds(tz)
    stmt = (_items_stmt().where(Call.credited_agent_id == agent_id, Call.ended_at >= start, Call.ended_at < end)
            .limit(limit).offset(offset))
    if cause:
        stmt = stmt.where(Reason.cause == cause)
    return _items(s, stmt)


def survey_feedback(s: Session, survey_id: int) -> list[FeedbackItem]:
    """Every rating of one survey (oldest first), each with why it counts or not, by the agent list's rules."""
    return list(reversed(_items(s, _items_stmt().where(Survey.id == survey_id))))
