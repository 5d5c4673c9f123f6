"""The review queue: which reasons wait for a person, in which order, and the open appeals beside them.

An item is a reason (its id) that is its counted rating's current reason and

* ``uncertain``: the model's reading nobody confirmed (``needs_review``: the
  customer did not choose, or an import or the idle sweep asked for review);
* ``disagreement``: the customer chose a cause the model read otherwise
  (``model_cause`` kept beside the customer's choice, ``bot.dialogue.stages``);
* ``near_threshold``: an automatic staff attribution whose confidence is
  within the margin setting of the model's staff threshold;
* ``shadow``: a candidate version in shadow mode (``bot.learning.shadow``)
  read the words otherwise than the promoted model (and no other kind holds it).

Open appeals are listed as items too (decided on their own page,
``/appeals/{id}``). Order: items whose decision moves an agent's attributed
KPI first (a counted 1–3 whose staff/non-staff attribution is in doubt), then
the model's uncertainty (lowest confidence first), then age. A reviewer does
not see again an item they labelled or skipped; an item two reviewers
labelled differently waits for the admin (adjudication).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, case, exists, false, func, literal, or_, select, true, union_all
from sqlalchemy.orm import Session, aliased

from bot.db.models import Agent, Call, Rating, Reason, Survey
from bot.db.review import ReviewLabel
from bot.db.shadow import ShadowReading, ShadowRun
from bot.db.staff import Appeal, Team
from bot.db.survey_facts import SurveyFact
from bot.domain import AppealStatus, Attribution, ReasonSource

UNCERTAIN = "uncertain"
DISAGREEMENT = "disagreement"
NEAR_THRESHOLD = "near_threshold"
SHADOW = "shadow"
APPEAL = "appeal"
#: Source filter values: a reason's source, or the appeals.
SOURCE_FILTERS = (ReasonSource.MODEL.value, ReasonSource.CUSTOMER.value, APPEAL)


@dataclass(frozen=True)
class QueueFilter:
    """What the reviewer narrowed the list to (None: everything)."""

    team: str | None = None
    cause: str | None = None
    source: str | None = None


@dataclass(frozen=True)
class QueueItem:
    """One item of the queue (a reason to label, or an open appeal to open)."""

    kind: str
    reason_id: int
    survey_id: int
    score: int
    text: str
    cause: str
    attribution: str
    source: str
    confidence: float | None  # the model's confidence in its own guess
    guess: str  # the model's guess (its cause, or the one kept beside a person's)
    model_version: str | None
    evidence: str | None
    agent_id: str
    agent_name: str | None
    team: str | None
    ended_at: datetime
    created_at: datetime
    consequential: bool
    appeal_id: int | None = None
    appeal_text: str | None = None

    @property
    def sort_key(self) -> tuple:
        """Consequence first, then the model's uncertainty, then age."""
        return (not self.consequential, self.confidence if self.confidence is not None else 0.0,
                self.created_at, self.reason_id)


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


def _item(row) -> QueueItem:
    return QueueItem(kind=row.kind, reason_id=row.id, survey_id=row.survey_id, score=row.score, text=row.text,
                     cause=row.cause, attribution=row.attribution, source=row.source, confidence=row.confidence,
                     guess=row.guess, model_version=row.model_version, evidence=row.evidence,
                     agent_id=row.credited_agent_id, agent_name=row.name, team=row.team, ended_at=row.ended_at,
                     created_at=row.created_at, consequential=bool(row.consequential))


def reason_items(s: Session, *, reviewer_id: str, threshold: float | None, margin: float,
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
    if f.source == APPEAL:
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
    return [_item(r) for r in rows], (rows[0].total if rows else 0)


def appeal_items(s: Session, f: QueueFilter = QueueFilter(), limit: int = 200) -> list[QueueItem]:
    """Open appeals as queue items (decided on ``/appeals/{id}``, never here)."""
    if f.source and f.source != APPEAL:
        return []
    stmt = (select(Appeal.id.label("appeal_id"), Appeal.text.label("appeal_text"), Appeal.created_at.label("filed"),
                   Reason.id, Survey.id.label("survey_id"), Rating.score, Reason.text, Reason.cause,
                   Reason.attribution, Reason.source, Reason.confidence, Reason.model_version, Reason.evidence,
                   Call.credited_agent_id, Agent.name, Team.name.label("team"), Call.ended_at)
            .select_from(Appeal)
            .join(Reason, Reason.id == Appeal.reason_id)
            .join(Rating, Rating.id == Reason.rating_id)
            .join(Survey, Survey.id == Rating.survey_id)
            .join(Call, Call.id == Survey.call_id)
            .join(Agent, Agent.id == Call.credited_agent_id)
            .outerjoin(Team, Team.id == Call.team_id)
            .where(Appeal.status == AppealStatus.OPEN)
            .order_by(Appeal.created_at, Appeal.id).limit(limit))
    if f.team:
        stmt = stmt.where(Team.name == f.team)
    if f.cause:
        stmt = stmt.where(Reason.cause == f.cause)
    return [QueueItem(kind=APPEAL, reason_id=r.id, survey_id=r.survey_id, score=r.score, text=r.text, cause=r.cause,
                      attribution=r.attribution, source=r.source, confidence=r.confidence, guess=r.cause,
                      model_version=r.model_version, evidence=r.evidence, agent_id=r.credited_agent_id,
                      agent_name=r.name, team=r.team, ended_at=r.ended_at, created_at=r.filed,
                      consequential=r.score <= 3, appeal_id=r.appeal_id, appeal_text=r.appeal_text)
            for r in s.execute(stmt)]


def queue(s: Session, *, reviewer_id: str, threshold: float | None, margin: float, f: QueueFilter = QueueFilter(),
          limit: int = 50) -> tuple[list[QueueItem], int]:
    """The reviewer's queue: reasons to label and open appeals, merged in queue order; and the total."""
    reasons, total = reason_items(s, reviewer_id=reviewer_id, threshold=threshold, margin=margin, f=f, limit=limit)
    appeals = appeal_items(s, f)
    merged = sorted(reasons + appeals, key=lambda i: i.sort_key)[:limit]
    return merged, total + len(appeals)
