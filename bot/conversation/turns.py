"""One survey turn end to end: load the snapshot, let the dialogue core decide, apply its effects.

The caller opens the session and the transaction (``with open_session(url)
as s, s.begin():``); effects are applied in order with prebuilt Core
statements that store the same rows and audit payloads as the ORM functions
of ``bot.conversation.calls`` (``tests/storage/test_bulk_drafts.py``,
``benchmarks/turn_queries.py --trace``), so a turn commits or rolls back as a
whole. The survey row is locked first; the snapshot is then
one query: the survey, its counted rating (``bot.ledger.counting``),
whether that rating has a reason, the conversation's state (kept on the
survey row, not in Rasa's slots: ``bot.dialogue.state``) and, when the
channel gave the message an id, that message's receipt
(``bot.conversation.receipts``): a message already processed is answered as it
was then and stores nothing again. The new state is written with the turn's
other rows.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, insert, select, update
from sqlalchemy.orm import Session

from bot.clock import has_passed
from bot.conversation import calls, receipts
from bot.db.models import AuditLog, Rating, Reason, Survey
from bot.db.models import Flag as FlagRow
from bot.db.receipts import MessageReceipt
from bot.dialogue import engine
from bot.dialogue.effects import Effect, RaiseFlag, RecordRating, RecordReason, SetStatus
from bot.dialogue.state import DialogueState, Outcome
from bot.dialogue.turn import Classify, CountedRating, SurveyView, TurnDecision
from bot.domain import RatingStatus
from bot.ledger import counting, fact_table
from zhtext.redact import redact


@dataclass
class _Loaded:
    """The survey's rows as loaded for the turn, and what applying the effects has changed so far.

    Plain values, not ORM objects: a turn writes a handful of rows with
    prebuilt Core statements (``_statements``), which costs a fraction of an ORM
    flush per row (docs/performance.md).
    """

    survey_id: int
    status: str
    state: DialogueState
    expires_at: datetime
    template_version: str
    needs_followup: bool
    counted: _RatingRow | None
    receipt: Any = None  # the message's receipt (its recorded responses), if already processed
    new: _RatingRow | None = None
    # Current reason id of a rating, where known (None: known to have none).
    reasons: dict[int, int | None] = field(default_factory=dict)
    audits: list[dict[str, Any]] = field(default_factory=list)
    survey_changes: dict[str, Any] = field(default_factory=dict)

    def view(self) -> SurveyView:
        rating = self.counted
        return SurveyView(
            id=self.survey_id, status=self.status, expires_at=self.expires_at,
            template_version=self.template_version,
            counted=CountedRating(score=rating.score, has_reason=self.reasons.get(rating.id) is not None)
            if rating else None,
        )

    def audit(self, now: datetime, entity: str, entity_id: Any, action: str, **data: Any) -> None:
        """As ``bot.db.audit.audit`` (actor ``customer``), written with the turn's other rows."""
        self.audits.append({"at": now, "actor": "customer", "entity": entity, "entity_id": str(entity_id),
                            "action": action, "data": data})


@dataclass
class _RatingRow:
    id: int
    score: int
    status: str


_SURVEYS = cast(Table, Survey.__table__)
_RATINGS = cast(Table, Rating.__table__)
_REASONS = cast(Table, Reason.__table__)
_FLAGS = cast(Table, FlagRow.__table__)
_AUDIT = cast(Table, AuditLog.__table__)


@cache  # statements built once: constructing them costs more than running them
def _statements() -> dict[str, Any]:
    counted_reason = (select(Reason.id).where(Reason.rating_id == Rating.id, counting.is_current_reason())
                      .scalar_subquery().label("reason_id"))
    base = (
        select(Survey.id, Survey.status, Survey.expires_at, Survey.template_version, Survey.needs_followup,
               Survey.stage, Survey.retries, Survey.pending_reason,
               Rating.id.label("rating_id"), Rating.score, Rating.status.label("rating_status"), counted_reason)
        .select_from(Survey)
        .outerjoin(Rating, and_(Rating.survey_id == Survey.id, counting.is_counted_rating()))
        .where(Survey.token == bindparam("token"))
    )
    with_receipt = base.add_columns(
        MessageReceipt.id.label("receipt_id"), MessageReceipt.responses,
    ).outerjoin(MessageReceipt, and_(MessageReceipt.survey_id == Survey.id,
                                     MessageReceipt.message_id == bindparam("message_id")))
    return {
        "lock": select(Survey.id).where(Survey.token == bindparam("token")).with_for_update(),
        "snapshot": base,
        "snapshot_receipt": with_receipt,
        "rating": insert(_RATINGS).returning(_RATINGS.c.id),
        "reason": insert(_REASONS).returning(_REASONS.c.id),
        "flag": insert(_FLAGS).returning(_FLAGS.c.id),
        "audit": insert(_AUDIT),
        # SET takes the columns named in the parameters (status, needs_followup, the state's).
        "survey": update(_SURVEYS).where(_SURVEYS.c.id == bindparam("sid")),
        "rating_status": update(_RATINGS).where(_RATINGS.c.id == bindparam("rid")).values(
            status=bindparam("new_status")),
    }


def _load(s: Session, token: str, message_id: str | None) -> _Loaded | None:
    # Two deliveries of one survey's messages (two tabs, a retried request on
    # another server) must not both decide from the same snapshot: lock the
    # survey row first, so the snapshot below, a new statement, sees what the
    # other turn committed, its receipt included. (One locking join would not
    # do: PostgreSQL re-reads only the locked row after the wait, not the
    # joined ones.) SQLite has no row locks (FOR UPDATE is not even sent): the
    # SQLite profile is one machine with one action server, which runs one
    # turn at a time; several action servers need PostgreSQL.
    q, c = _statements(), s.connection()
    if c.dialect.name != "sqlite" and c.execute(q["lock"], {"token": token}).first() is None:
        return None
    if message_id is None:
        row = c.execute(q["snapshot"], {"token": token}).first()
    else:
        row = c.execute(q["snapshot_receipt"], {"token": token, "message_id": message_id}).first()
    if row is None:
        return None
    counted = _RatingRow(row.rating_id, row.score, row.rating_status) if row.rating_id is not None else None
    state = DialogueState(stage=row.stage, retries=row.retries or 0, pending_reason=row.pending_reason)
    loaded = _Loaded(survey_id=row.id, status=row.status, state=state, expires_at=row.expires_at,
                     template_version=row.template_version, needs_followup=row.needs_followup, counted=counted,
                     receipt=row if message_id is not None and row.receipt_id is not None else None)
    if counted is not None:
        loaded.reasons[counted.id] = row.reason_id
    return loaded


# --- applying effects (the same rows and audit payloads as bot.conversation.calls) ----------------

def _record_rating(s: Session, x: _Loaded, e: RecordRating, now: datetime) -> None:
    if not 1 <= e.score <= 5:
        raise ValueError(f"score out of range: {e.score}")
    late = has_passed(x.expires_at, now)
    previous = None if late else x.counted
    status = RatingStatus.LATE if late else RatingStatus.VALID
    supersedes = previous.id if previous else None
    rating_id = s.connection().execute(_statements()["rating"], {
        "survey_id": x.survey_id, "score": e.score, "raw_reply": calls.stored_text(e.text), "received_at": now,
        "status": status, "supersedes_id": supersedes, "created_at": now}).scalar_one()
    x.audit(now, "rating", rating_id, "created", score=e.score, status=status, supersedes=supersedes)
    if previous is not None:
        x.audit(now, "rating", previous.id, "status_changed", old=previous.status, new=RatingStatus.CORRECTED,
                superseded_by=rating_id)
        s.connection().execute(_statements()["rating_status"], {"rid": previous.id, "new_status": RatingStatus.CORRECTED})
        previous.status = RatingStatus.CORRECTED
    rating = _RatingRow(rating_id, e.score, status)
    x.new = rating
    x.reasons[rating_id] = None
    if status == RatingStatus.VALID:
        x.counted = rating


def _record_reason(s: Session, x: _Loaded, e: RecordReason, now: datetime) -> None:
    rating = x.new if e.on == "new" else x.counted
    assert rating is not None, f"no {e.on} rating to attach a reason to"
    previous = x.reasons.get(rating.id)
    reason_id = s.connection().execute(_statements()["reason"], {
        "rating_id": rating.id, "text": calls.stored_text(e.text), "cause": e.cause, "attribution": e.attribution,
        "confidence": e.confidence, "source": e.source, "model_version": e.model_version,
        "evidence": redact(e.evidence) if e.evidence else e.evidence, "needs_review": e.needs_review,
        "supersedes_id": previous, "created_at": now}).scalar_one()
    x.audit(now, "reason", reason_id, "created", rating=rating.id, cause=e.cause, attribution=e.attribution,
            source=e.source, confidence=e.confidence, supersedes=previous)
    x.reasons[rating.id] = reason_id


def _set_status(s: Session, x: _Loaded, e: SetStatus, now: datetime) -> None:
    if x.status == e.status:
        return
    x.audit(now, "survey", x.survey_id, "status_changed", old=x.status, new=e.status)
    x.status = x.survey_changes["status"] = e.status


def _flag(s: Session, x: _Loaded, e: RaiseFlag, now: datetime) -> None:
    flag_id = s.connection().execute(_statements()["flag"], {"survey_id": x.survey_id, "kind": e.kind,
                                                "text": calls.stored_text(e.text), "created_at": now}).scalar_one()
    x.audit(now, "flag", flag_id, "created", kind=e.kind, survey=x.survey_id)
    if not x.needs_followup:
        x.audit(now, "survey", x.survey_id, "flagged", kind=e.kind)
        x.needs_followup = x.survey_changes["needs_followup"] = True


_APPLY: dict[type, Callable[[Session, _Loaded, Any, datetime], None]] = {
    RecordRating: _record_rating,
    RecordReason: _record_reason,
    SetStatus: _set_status,
    RaiseFlag: _flag,
}


def _apply(s: Session, loaded: _Loaded | None, effects: tuple[Effect, ...], state: DialogueState,
           now: datetime) -> None:
    if loaded is None:
        assert not effects, "the engine stores nothing for an unknown survey"
        return  # an unknown token has no row to keep a state on
    for effect in effects:
        _APPLY[type(effect)](s, loaded, effect, now)
    if state != loaded.state:
        loaded.survey_changes.update(state.to_dict())
    if loaded.survey_changes:
        s.connection().execute(_statements()["survey"], {"sid": loaded.survey_id, **loaded.survey_changes})
    if loaded.audits:
        s.connection().execute(_statements()["audit"], loaded.audits)
    if effects:
        # Core writes are invisible to the facts listener (bot.ledger.fact_table): refresh this survey's row here.
        fact_table.refresh_survey_facts(s, loaded.survey_id)


def _finish(s: Session, loaded: _Loaded | None, decision: TurnDecision, now: datetime, message_id: str | None) -> Outcome:
    state = loaded.state if loaded is not None else DialogueState()
    _apply(s, loaded, decision.effects, decision.outcome.state, now)
    if loaded is not None and message_id is not None:
        receipts.record(s, loaded.survey_id, message_id, state, decision.outcome, now)
    return decision.outcome


# --- one function per use -------------------------------------------------

def start_turn(s: Session, token: str, now: datetime, greeting: str | None = None,
               message_id: str | None = None) -> Outcome:
    """The customer opened the chat: greet, resume, or explain why the survey cannot be answered.

    Args:
        s: Open session; the caller owns the transaction.
        token: The survey's chat token (Rasa's sender id).
        now: Time the chat was opened (UTC).
        greeting: Greeting version to show; defaults to the survey's own template version.
        message_id: The channel's id of the request, if any (a repeat is answered as the first time).

    Returns:
        What to say and the survey's new state (already stored).
    """
    loaded = _load(s, token, message_id)
    state = loaded.state if loaded is not None else DialogueState()
    if loaded is not None and loaded.receipt is not None:
        return receipts.replay(loaded.receipt, state)
    view = loaded.view() if loaded else None
    decision = engine.start(view, state, now, greeting or (view.template_version if view else ""))
    return _finish(s, loaded, decision, now, message_id)


def reply_turn(
    s: Session,
    token: str,
    text: str,
    now: datetime,
    classify: Classify,
    message_id: str | None = None,
) -> Outcome:
    """One customer message within a survey: decide, store, and return what to say.

    Takes what ``bot.dialogue.engine.handle_reply`` takes, with the survey's
    chat token (Rasa's sender id) in place of the snapshot and the state (both
    read from the database), an open session ``s`` whose transaction the
    caller owns, and the channel's ``message_id`` of the message, if any: a
    message already processed is answered as the first time and stores
    nothing again.

    Returns:
        What to say and the survey's new state (already stored).
    """
    loaded = _load(s, token, message_id)
    state = loaded.state if loaded is not None else DialogueState()
    if loaded is not None and loaded.receipt is not None:
        return receipts.replay(loaded.receipt, state)
    decision = engine.handle_reply(loaded.view() if loaded else None, state, text, now, classify)
    return _finish(s, loaded, decision, now, message_id)
