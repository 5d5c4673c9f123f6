"""Keep ``review_items`` equal to its canonical selection: which current reasons may wait for a reviewer.

Like ``survey_facts`` it is a materialisation, never a second definition:
:func:`refresh_review_items` deletes and re-inserts the rows of some surveys
from :func:`candidates`, and it runs inside
:func:`bot.ledger.fact_table.refresh_facts` / ``refresh_survey_facts``, right
after the facts it reads. So every writer that keeps the facts right keeps the
queue right, in the same transaction: a dialogue turn (``turns.write_changes``),
the bulk import (``bulk_store``), a reviewer's label or decision, an appeal
filed or decided (the ORM listener notes reasons, ratings, appeals and
review labels).

A row is the current reason of a survey's counted rating (``survey_facts.reason_id``) when

* ``uncertain``: the model's reading nobody confirmed (``needs_review``);
* ``disagreement``: the customer chose a cause the model read otherwise;
* ``near_threshold``: an automatic staff attribution with a confidence (a
  *candidate*: the promoted model's staff threshold and the margin setting
  decide at read time whether it is near enough, ``bot.staff.review_queue``);
* ``shadow``: a shadow version read the words otherwise (``bot.learning.shadow``;
  one row per version: whether its run is still active, and whether a
  near-threshold item holds the reason instead, is read with the queue);

and it has no open appeal and is not awaiting adjudication (two reviewers'
labels). Who labelled or skipped it is read at query time (per reviewer).
The ordering key is stored: ``rank`` 0 when deciding it can move an agent's
attributed KPI, the model's confidence in its own guess (0 when unknown),
then the reason's age.
"""
from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Delete,
    Float,
    Insert,
    Select,
    Table,
    and_,
    bindparam,
    case,
    delete,
    exists,
    false,
    func,
    insert,
    literal,
    null,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.orm import InstrumentedAttribute, Session, aliased

from bot.db.id_lists import in_ids
from bot.db.models import Reason
from bot.db.planner import NoIndex
from bot.db.review import ReviewItem, ReviewLabel
from bot.db.shadow import ShadowReading
from bot.db.staff import Appeal
from bot.db.survey_facts import SurveyFact
from bot.domain import AppealStatus, Attribution, ReasonSource

UNCERTAIN = "uncertain"
DISAGREEMENT = "disagreement"
NEAR_THRESHOLD = "near_threshold"
SHADOW = "shadow"

T = cast(Table, ReviewItem.__table__)
_CHUNK = 2000  # survey ids per statement, as the fact table's


def kind() -> ColumnElement[str]:
    """The kind of item a reason is (among the reasons that are items)."""
    return case((Reason.needs_review.is_(true()), literal(UNCERTAIN)),
                (Reason.source == ReasonSource.CUSTOMER, literal(DISAGREEMENT)), else_=literal(NEAR_THRESHOLD))


def guess() -> ColumnElement[str]:
    """The model's guess: the cause it kept beside a person's, or its own cause."""
    return func.coalesce(Reason.model_cause, Reason.cause)


def model_confidence() -> ColumnElement[float]:
    """The model's confidence in its own guess."""
    return case((Reason.source == ReasonSource.MODEL, Reason.confidence), else_=Reason.model_confidence)


def consequential() -> ColumnElement[bool]:
    """Deciding it can move an agent's attributed KPI: a 1–3 whose staff/non-staff attribution is in doubt."""
    guess_staff = guess().like("staff.%")
    now_staff = Reason.attribution == Attribution.STAFF
    return and_(SurveyFact.score <= 3, or_(Reason.source == ReasonSource.MODEL,
                                           and_(guess_staff, ~now_staff), and_(~guess_staff, now_staff)))


def _open_appeal() -> ColumnElement[bool]:
    return exists().where(Appeal.reason_id == Reason.id, Appeal.status == AppealStatus.OPEN)


def _awaiting_adjudication() -> ColumnElement[bool]:
    """Two reviewers labelled the reason (a double review that did not agree: agreeing ones are decided)."""
    a, b = aliased(ReviewLabel), aliased(ReviewLabel)
    return exists().where(a.reason_id == Reason.id, b.reason_id == Reason.id, a.id < b.id,
                          a.cause.is_not(None), b.cause.is_not(None))


#: Column order of ``review_items`` as :func:`candidates` selects it.
COLUMNS = ("reason_id", "kind", "version", "survey_id", "rank", "sort_confidence", "created_at", "cause", "source",
           "credited_agent_id", "team_id", "staff_confidence")


def candidates(surveys: ColumnElement[bool] | None = None) -> Select:
    """Every row ``review_items`` should hold (of the surveys ``surveys`` selects), one SELECT per kind.

    Each branch reaches its reasons from the fact rows (by primary key for a
    survey, by index for a rebuild) and carries the survey condition itself,
    so neither backend has to push it into a union.
    """
    sf = SurveyFact

    def columns(kind_of: ColumnElement[str], version: ColumnElement[str] | InstrumentedAttribute[str],
                staff_confidence: ColumnElement[float | None]) -> tuple:
        return (Reason.id.label("reason_id"), kind_of.label("kind"), version.label("version"),
                sf.survey_id.label("survey_id"), case((consequential(), 0), else_=1).label("rank"),
                func.coalesce(model_confidence(), 0.0).label("sort_confidence"),
                Reason.created_at.label("created_at"), Reason.cause.label("cause"), Reason.source.label("source"),
                sf.credited_agent_id.label("credited_agent_id"), sf.team_id.label("team_id"),
                staff_confidence.label("staff_confidence"))

    # For some surveys the rows must be reached from those surveys' facts (by primary key). SQLite has no
    # statistics and would rather walk an index of ``reasons`` on source or needs_review (it guesses ten rows
    # per value; it is every model reason), which made each import batch's refresh scan the whole table: the
    # import slowed from 3,000 to 900 rows/s over 100,000 rows. A column wrapped in COALESCE(c, c) (the same
    # value) is no index key, so the plan starts from the surveys; the rebuild of every survey keeps the indexes.
    # Only on SQLite (``NoIndex``): PostgreSQL has statistics of the columns, not of the expression, and took
    # its default guess (a few rows) to scan the whole of ``reasons`` first instead.
    def term(column: Any) -> Any:
        return column if surveys is None else NoIndex(column)

    source, needs_review = term(Reason.source), term(Reason.needs_review)
    plain = columns(kind(), literal(""), null().cast(Float))
    conditions = [
        and_(sf.source == ReasonSource.MODEL, sf.needs_review.is_(true())),
        and_(source == ReasonSource.CUSTOMER, Reason.model_cause.is_not(None),
             Reason.model_cause != Reason.cause),
        and_(source == ReasonSource.MODEL, Reason.attribution == Attribution.STAFF,
             Reason.confidence.is_not(None), needs_review.is_(false())),
    ]
    branches = [select(*plain).select_from(sf).join(Reason, Reason.id == sf.reason_id).where(condition)
                for condition in conditions]
    auto_staff = and_(Reason.source == ReasonSource.MODEL, Reason.attribution == Attribution.STAFF)
    branches.append(
        select(*columns(literal(SHADOW), ShadowReading.version,
                        case((auto_staff, func.coalesce(Reason.confidence, -1.0)), else_=null())))
        .select_from(sf).join(Reason, Reason.id == sf.reason_id)
        .join(ShadowReading, ShadowReading.reason_id == Reason.id)
        .where(ShadowReading.disagrees.is_(true()), needs_review.is_(false()),
               or_(source == ReasonSource.MODEL,
                   and_(source == ReasonSource.CUSTOMER, Reason.model_cause == Reason.cause))))
    branches = [b.where(~_open_appeal(), ~_awaiting_adjudication()) for b in branches]
    if surveys is not None:
        branches = [b.where(surveys) for b in branches]
    return cast(Select, union_all(*branches))


def refresh_review_items(s: Session, survey_ids: Iterable[int] | None) -> None:
    """Delete and re-insert the ``review_items`` rows of ``survey_ids`` (every survey when None).

    Runs in the caller's transaction, after the surveys' ``survey_facts`` rows were refreshed.
    """
    if survey_ids is None:
        s.execute(delete(T))
        s.execute(insert(T).from_select(list(COLUMNS), candidates()))
        return
    ids = sorted(set(survey_ids))
    remove, add = _some_surveys()
    for i in range(0, len(ids), _CHUNK):
        chunk = ids[i:i + _CHUNK]
        s.execute(remove, {"ids": chunk})
        s.execute(add, {"ids": chunk})


@cache  # built once: building the selection costs more than running it for a few surveys
def _some_surveys() -> tuple[Delete, Insert]:
    return (delete(T).where(in_ids(T.c.survey_id)),
            insert(T).from_select(list(COLUMNS), candidates(in_ids(SurveyFact.survey_id))))


@cache
def _one_survey() -> tuple[Delete, Insert]:
    return (delete(T).where(T.c.survey_id == bindparam("sid")),
            insert(T).from_select(list(COLUMNS), candidates(SurveyFact.survey_id == bindparam("sid"))))


def refresh_survey_items(s: Session, survey_id: int) -> None:
    """:func:`refresh_review_items` for one survey, statements built once (a dialogue turn's Core writes)."""
    remove, add = _one_survey()
    c = s.connection()
    c.execute(remove, {"sid": survey_id})
    c.execute(add, {"sid": survey_id})
