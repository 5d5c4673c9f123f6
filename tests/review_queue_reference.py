"""The review queue's reason items as the scanning query computed them before ``review_items`` (the reference).

Kept verbatim (only renamed) from ``bot.staff.review_queue`` as it stood
before the queue read the materialised table (main at 0882ff2, with the
shadow kind): ``tests/storage/test_review_items.py`` checks that the
table-backed queue gives the same items in the same order.
"""
from __future__ import annotations

from sqlalchemy import ColumnElement, and_, case, exists, false, func, literal, or_, select, true, union_all
from sqlalchemy.orm import Session, aliased

from bot.db.models import Agent, Reason
from bot.db.review import ReviewLabel
from bot.db.shadow import ShadowReading, ShadowRun
from bot.db.staff import Appeal, Team
from bot.db.survey_facts import SurveyFact
from bot.domain import AppealStatus, Attribution, ReasonSource
from bot.staff import review_queue
from bot.staff.review_queue import DISAGREEMENT, NEAR_THRESHOLD, SHADOW, UNCERTAIN, QueueFilter, QueueItem


def _has_open_appeal() -> ColumnElement[bool]:
    return exists().where(Appeal.reason_id == Reason.id, Appeal.status == AppealStatus.OPEN)


def _awaiting_adjudication() -> ColumnElement[bool]:
    """Two reviewers labelled the reason (a double review that did not agree: agreeing ones are decided)."""
    a, b = aliased(ReviewLabel), aliased(ReviewLabel)
    return (exists().where(a.reason_id == Reason.id, b.reason_id == Reason.id, a.id < b.id,
                           a.cause.is_not(None), b.cause.is_not(None)))


def _labelled_by(reviewer_id: str) -> ColumnElement[bool]:
    return exists().where(ReviewLabel.reason_id == Reason.id, ReviewLabel.reviewer_id == reviewer_id)


def _kind() -> ColumnElement[str]:
    return case((Reason.needs_review.is_(true()), literal(UNCERTAIN)),
                (Reason.source == ReasonSource.CUSTOMER, literal(DISAGREEMENT)), else_=literal(NEAR_THRESHOLD))


def _guess() -> ColumnElement[str]:
    return func.coalesce(Reason.model_cause, Reason.cause)


def _model_confidence() -> ColumnElement[float]:
    return case((Reason.source == ReasonSource.MODEL, Reason.confidence), else_=Reason.model_confidence)


def _consequential() -> ColumnElement[bool]:
    """Deciding it can move an agent's attributed KPI: a 1–3 whose staff/non-staff attribution is in doubt."""
    guess_staff = _guess().like("staff.%")
    now_staff = Reason.attribution == Attribution.STAFF
    return and_(SurveyFact.score <= 3, or_(Reason.source == ReasonSource.MODEL,
                                           and_(guess_staff, ~now_staff), and_(~guess_staff, now_staff)))


def _branches(threshold: float | None, margin: float, reviewer_id: str, f: QueueFilter) -> list:
    """One SELECT per kind of item, each driven by its own index and carrying every column the page shows.

    ``survey_facts`` (the materialised per-survey row, refreshed in every
    writing transaction) names each counted rating's current reason: the
    uncertain items come straight from it, the other kinds from the reasons'
    own indexes, kept when the fact table names them current. Superseded
    reasons (every item decided before) never reach a join, and no branch
    needs a second pass over the fact table (PostgreSQL would hash-join it whole).
    """
    sf = SurveyFact
    consequential = _consequential()
    columns = (_kind().label("kind"), Reason.id.label("id"), sf.survey_id.label("survey_id"), sf.score.label("score"),
               Reason.text.label("text"), Reason.cause.label("cause"), Reason.attribution.label("attribution"),
               Reason.source.label("source"), _model_confidence().label("confidence"), _guess().label("guess"),
               Reason.model_version.label("model_version"), Reason.evidence.label("evidence"),
               sf.credited_agent_id.label("credited_agent_id"), sf.team_id.label("team_id"),
               sf.ended_at.label("ended_at"), Reason.created_at.label("created_at"),
               case((consequential, 1), else_=0).label("consequential"))
    kinds = [
        select(*columns).select_from(sf).join(Reason, Reason.id == sf.reason_id)
        .where(sf.source == ReasonSource.MODEL, sf.needs_review.is_(true())),
        select(*columns).select_from(Reason).join(sf, sf.reason_id == Reason.id)
        .where(Reason.source == ReasonSource.CUSTOMER, Reason.model_cause.is_not(None),
               Reason.model_cause != Reason.cause),
    ]
    if threshold is not None:
        kinds.append(select(*columns).select_from(Reason).join(sf, sf.reason_id == Reason.id)
                     .where(Reason.source == ReasonSource.MODEL, Reason.attribution == Attribution.STAFF,
                            Reason.confidence < threshold + margin, Reason.needs_review.is_(false())))
    # The active shadow version read the words otherwise; items another kind already holds are left to it.
    clear_of_threshold = (true() if threshold is None else
                          or_(Reason.attribution != Attribution.STAFF, Reason.confidence >= threshold + margin))
    kinds.append(select(literal(SHADOW).label("kind"), *columns[1:]).select_from(ShadowReading)
                 .join(ShadowRun, and_(ShadowRun.version == ShadowReading.version, ShadowRun.stopped_at.is_(None)))
                 .join(Reason, Reason.id == ShadowReading.reason_id)
                 .join(sf, sf.reason_id == Reason.id)
                 .where(ShadowReading.disagrees.is_(true()), Reason.needs_review.is_(false()),
                        or_(and_(Reason.source == ReasonSource.MODEL, clear_of_threshold),
                            and_(Reason.source == ReasonSource.CUSTOMER, Reason.model_cause == Reason.cause))))
    out = []
    for k in kinds:
        k = k.where(~_has_open_appeal(), ~_labelled_by(reviewer_id), ~_awaiting_adjudication())
        if f.cause:
            k = k.where(Reason.cause == f.cause)
        if f.source:
            k = k.where(Reason.source == f.source)
        out.append(k)
    return out


def reference_reason_items(s: Session, *, reviewer_id: str, threshold: float | None, margin: float,
                 f: QueueFilter = QueueFilter(), limit: int = 50) -> tuple[list[QueueItem], int]:
    """The reasons ``reviewer_id`` may label, in queue order (at most ``limit``), and how many there are.

    Args:
        s: Open session.
        reviewer_id: Items this reviewer labelled or skipped are left out.
        threshold: The model's staff threshold (``classifiers.staff_threshold``); None: no near-threshold items.
        margin: ``Settings.review_margin``.
        f: Filters.
        limit: Most items returned.
    """
    if f.source == review_queue.APPEAL:
        return [], 0
    u = union_all(*_branches(threshold, margin, reviewer_id, f)).subquery("items")
    stmt = (select(u, Agent.name, Team.name.label("team"), func.count().over().label("total"))
            .join(Agent, Agent.id == u.c.credited_agent_id)
            .outerjoin(Team, Team.id == u.c.team_id))
    if f.team:
        stmt = stmt.where(Team.name == f.team)
    ordered = stmt.order_by(u.c.consequential.desc(), func.coalesce(u.c.confidence, 0.0), u.c.created_at,
                            u.c.id).limit(limit)
    rows = s.execute(ordered).all()
    return [review_queue._item(r) for r in rows], (rows[0].total if rows else 0)


