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

The items are the rows of ``review_items`` (:mod:`bot.ledger.review_items`
keeps them in every writer's transaction, with the ordering key), read
through its index. Open appeals are listed as items too (decided on their own page,
``/appeals/{id}``). Order: items whose decision moves an agent's attributed
KPI first (a counted 1–3 whose staff/non-staff attribution is in doubt), then
the model's uncertainty (lowest confidence first), then age. A reviewer does
not see again an item they labelled or skipped; an item two reviewers
labelled differently waits for the admin (adjudication).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, case, exists, func, or_, select, true
from sqlalchemy.orm import Session

from bot.db.models import Agent, Call, Rating, Reason, Survey
from bot.db.review import ReviewItem, ReviewLabel
from bot.db.shadow import ShadowRun
from bot.db.staff import Appeal, Team
from bot.db.survey_facts import SurveyFact
from bot.domain import AppealStatus, ReasonSource
from bot.ledger import review_items
from bot.ledger.review_items import DISAGREEMENT, NEAR_THRESHOLD, SHADOW, UNCERTAIN

__all__ = ["APPEAL", "DISAGREEMENT", "NEAR_THRESHOLD", "SHADOW", "SOURCE_FILTERS", "UNCERTAIN", "QueueFilter", "QueueItem",
           "appeal_items", "queue", "reason_items"]

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


def _item(row) -> QueueItem:
    return QueueItem(kind=row.kind, reason_id=row.id, survey_id=row.survey_id, score=row.score, text=row.text,
                     cause=row.cause, attribution=row.attribution, source=row.source, confidence=row.confidence,
                     guess=row.guess, model_version=row.model_version, evidence=row.evidence,
                     agent_id=row.credited_agent_id, agent_name=row.name, team=row.team, ended_at=row.ended_at,
                     created_at=row.created_at, consequential=bool(row.consequential))


def _open_items(reviewer_id: str, threshold: float | None, margin: float, f: QueueFilter) -> list[ColumnElement[bool]]:
    """Which ``review_items`` rows are items for ``reviewer_id`` under the filters (conditions on ``ReviewItem``).

    Near-threshold and shadow rows are candidates: the promoted model's
    threshold decides which automatic staff attributions are near it (and
    those are near-threshold items, never shadow ones), and a shadow row counts
    while its version's run is active. Written as ranges of
    ``ix_review_items_kind_confidence`` so the count never reads the confident candidates.
    """
    cut = threshold + margin if threshold is not None else None
    kinds: list[ColumnElement[bool]] = [ReviewItem.kind.in_((UNCERTAIN, DISAGREEMENT))]
    if cut is not None:
        kinds.append(and_(ReviewItem.kind == NEAR_THRESHOLD, ReviewItem.sort_confidence < cut))
    active = exists().where(ShadowRun.version == ReviewItem.version, ShadowRun.stopped_at.is_(None))
    clear = true() if cut is None else or_(ReviewItem.staff_confidence.is_(None), ReviewItem.staff_confidence >= cut)
    kinds.append(and_(ReviewItem.kind == SHADOW, active, clear))
    wanted = [or_(*kinds),
              ~exists().where(ReviewLabel.reason_id == ReviewItem.reason_id, ReviewLabel.reviewer_id == reviewer_id)]
    if f.cause:
        wanted.append(ReviewItem.cause == f.cause)
    if f.source:
        wanted.append(ReviewItem.source == f.source)
    if f.team:
        wanted.append(ReviewItem.team_id.in_(select(Team.id).where(Team.name == f.team)))
    return wanted


def reason_items(s: Session, *, reviewer_id: str, threshold: float | None, margin: float,
                 f: QueueFilter = QueueFilter(), limit: int = 50) -> tuple[list[QueueItem], int]:
    """The reasons ``reviewer_id`` may label, in queue order (at most ``limit``), and how many there are.

    Reads ``review_items`` (kept by every writer, :mod:`bot.ledger.review_items`)
    through its ordering index: the first ``limit`` rows in order, then the
    reasons' and facts' columns for those rows only.

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
    wanted = _open_items(reviewer_id, threshold, margin, f)
    # (No check that the credited agent exists, as the old inner join had: calls.credited_agent_id is a foreign key.)
    total = s.scalar(select(func.count()).select_from(ReviewItem).where(*wanted)) or 0
    if total == 0:
        return [], 0
    order = (ReviewItem.rank, ReviewItem.sort_confidence, ReviewItem.created_at, ReviewItem.reason_id)
    page = (select(ReviewItem.survey_id, ReviewItem.kind, *order).where(*wanted)
            .order_by(*order).limit(limit).subquery("page"))
    rows = s.execute(
        select(page.c.kind, Reason.id, SurveyFact.survey_id, SurveyFact.score, Reason.text, Reason.cause,
               Reason.attribution, Reason.source, review_items.model_confidence().label("confidence"),
               review_items.guess().label("guess"), Reason.model_version, Reason.evidence,
               SurveyFact.credited_agent_id, SurveyFact.ended_at, Reason.created_at,
               case((page.c.rank == 0, 1), else_=0).label("consequential"), Agent.name, Team.name.label("team"))
        .select_from(page)
        .join(Reason, Reason.id == page.c.reason_id)
        .join(SurveyFact, SurveyFact.survey_id == page.c.survey_id)
        .join(Agent, Agent.id == SurveyFact.credited_agent_id)
        .outerjoin(Team, Team.id == SurveyFact.team_id)
        .order_by(page.c.rank, page.c.sort_confidence, page.c.created_at, page.c.reason_id)).all()
    return [_item(r) for r in rows], total


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
