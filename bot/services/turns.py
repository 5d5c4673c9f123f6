"""One survey turn end to end: load the snapshot, let the dialogue core decide, apply its effects.

The caller opens the session and the transaction (``with open_session(url)
as s, s.begin():``); effects are applied in order through
``bot.services.surveys``, which writes the audit rows, so a turn commits or
rolls back as a whole. The survey row is locked first; the snapshot is then
one query: the survey, its counted rating (``bot.services.counting``),
whether that rating has a reason and, when the channel gave the message an
id, that message's receipt (``bot.services.receipts``): a message already
processed is answered as it was then and stores nothing again.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from bot.db.delivery import MessageReceipt
from bot.db.models import Rating, Reason, Survey
from bot.dialogue import engine
from bot.dialogue.effects import Effect, Flag, RecordRating, RecordReason, SetStatus
from bot.dialogue.state import DialogueState, Outcome
from bot.dialogue.turn import Classify, CountedRating, Decision, SurveyView
from bot.domain import RatingStatus
from bot.services import counting, receipts, surveys


@dataclass
class _Loaded:
    """The survey's rows as loaded for the turn, and what applying the effects has changed so far."""

    survey: Survey
    counted: Rating | None
    has_reason: bool
    receipt: MessageReceipt | None = None
    new: Rating | None = None
    # Current reason of a rating, where known without a query (None: known to have none).
    reasons: dict[int, Reason | None] = field(default_factory=dict)

    def view(self) -> SurveyView:
        rating = self.counted
        return SurveyView(
            id=self.survey.id, status=self.survey.status, expires_at=self.survey.expires_at,
            template_version=self.survey.template_version,
            counted=CountedRating(score=rating.score, has_reason=self.has_reason) if rating else None,
        )


def _load(s: Session, token: str, message_id: str | None) -> _Loaded | None:
    # Two deliveries of one survey's messages (two tabs, a retried request on
    # another server) must not both decide from the same snapshot: lock the
    # survey row first (PostgreSQL; SQLite serialises writers by itself), so
    # the snapshot below, a new statement, sees what the other turn committed,
    # its receipt included. (One locking join would not do: PostgreSQL
    # re-reads only the locked row after the wait, not the joined ones.)
    if s.execute(select(Survey.id).where(Survey.token == token).with_for_update()).first() is None:
        return None
    columns: list[Any] = [Survey, Rating, counting.has_reason()]
    if message_id is not None:
        columns.append(MessageReceipt)
    query = (
        select(*columns).select_from(Survey)
        .outerjoin(Rating, and_(Rating.survey_id == Survey.id, counting.is_counted_rating()))
        .where(Survey.token == token)
    )
    if message_id is not None:
        query = query.outerjoin(MessageReceipt, and_(
            MessageReceipt.survey_id == Survey.id, MessageReceipt.message_id == message_id))
    # populate_existing: a Survey already in this session must not hide what the lock waited for.
    row = s.execute(query.execution_options(populate_existing=True)).first()
    if row is None:
        return None
    survey, rating, has_reason = row[:3]
    loaded = _Loaded(survey=survey, counted=rating, has_reason=bool(has_reason),
                     receipt=row[3] if message_id is not None else None)
    if rating is not None and not loaded.has_reason:
        loaded.reasons[rating.id] = None
    return loaded


# --- applying effects -----------------------------------------------------

def _record_rating(s: Session, x: _Loaded, e: RecordRating, now: datetime) -> None:
    rating = surveys.record_rating(s, x.survey, e.score, e.text, now, counted=x.counted)
    x.new = rating
    x.reasons[rating.id] = None
    if rating.status == RatingStatus.VALID:
        x.counted = rating


def _record_reason(s: Session, x: _Loaded, e: RecordReason, now: datetime) -> None:
    rating = x.new if e.on == "new" else x.counted
    assert rating is not None, f"no {e.on} rating to attach a reason to"
    reason = surveys.record_reason(
        s, rating, e.text, cause=e.cause, attribution=e.attribution, source=e.source, now=now,
        confidence=e.confidence, model_version=e.model_version, evidence=e.evidence, needs_review=e.needs_review,
        previous=x.reasons.get(rating.id, surveys.UNKNOWN),
    )
    x.reasons[rating.id] = reason


def _set_status(s: Session, x: _Loaded, e: SetStatus, now: datetime) -> None:
    surveys.set_status(s, x.survey, e.status, now)


def _flag(s: Session, x: _Loaded, e: Flag, now: datetime) -> None:
    surveys.flag(s, x.survey, e.kind, e.text, now)


_APPLY: dict[type, Callable[[Session, _Loaded, Any, datetime], None]] = {
    RecordRating: _record_rating,
    RecordReason: _record_reason,
    SetStatus: _set_status,
    Flag: _flag,
}


def _apply(s: Session, loaded: _Loaded | None, effects: tuple[Effect, ...], now: datetime) -> None:
    if not effects:
        return
    assert loaded is not None, "the engine stores nothing for an unknown survey"
    for effect in effects:
        _APPLY[type(effect)](s, loaded, effect, now)


def _finish(s: Session, loaded: _Loaded | None, state: DialogueState, decision: Decision, now: datetime,
            message_id: str | None) -> Outcome:
    _apply(s, loaded, decision.effects, now)
    if loaded is not None and message_id is not None:
        receipts.record(s, loaded.survey.id, message_id, state, decision.outcome, now)
    return decision.outcome


# --- one function per use -------------------------------------------------

def start_turn(s: Session, token: str, state: DialogueState, now: datetime, greeting: str | None = None,
               message_id: str | None = None) -> Outcome:
    """The customer opened the chat: greet, or explain why the survey cannot be answered.

    Args:
        s: Open session; the caller owns the transaction.
        token: The survey's chat token (Rasa's sender id).
        state: State from the tracker.
        now: Time the chat was opened (UTC).
        greeting: Greeting version to show; defaults to the survey's own template version.
        message_id: The channel's id of the request, if any (a repeat is answered as the first time).

    Returns:
        What to say and the next state.
    """
    loaded = _load(s, token, message_id)
    if loaded is not None and loaded.receipt is not None:
        return receipts.replay(loaded.receipt, state)
    view = loaded.view() if loaded else None
    decision = engine.start(view, state, now, greeting or (view.template_version if view else ""))
    return _finish(s, loaded, state, decision, now, message_id)


def reply_turn(
    s: Session,
    token: str,
    state: DialogueState,
    text: str,
    now: datetime,
    classify: Classify,
    intent: str | None = None,
    confidence: float = 0.0,
    message_id: str | None = None,
) -> Outcome:
    """One customer message within a survey: decide, store, and return what to say.

    Takes what ``bot.dialogue.engine.handle_reply`` takes, with the survey's
    chat token (Rasa's sender id) in place of the snapshot and an open session
    ``s`` whose transaction the caller owns, and the channel's ``message_id``
    of the message, if any: a message already processed is answered as the
    first time and stores nothing again.

    Returns:
        What to say and the next state.
    """
    loaded = _load(s, token, message_id)
    if loaded is not None and loaded.receipt is not None:
        return receipts.replay(loaded.receipt, state)
    decision = engine.handle_reply(
        loaded.view() if loaded else None, state, text, now, classify, intent=intent, intent_confidence=confidence,
    )
    return _finish(s, loaded, state, decision, now, message_id)
