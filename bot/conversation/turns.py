"""One survey turn end to end: lock and load the survey's record, let the dialogue core decide, write what changed.

The caller opens the session and the transaction (``with open_session(url)
as s, s.begin():``), so a turn commits or rolls back as a whole. The survey
row is locked first; the snapshot is then one query: the survey, its call's
channel, its counted rating (``bot.ledger.counting``), that rating's current
reason, the conversation's state (kept on the survey row, not in Rasa's
slots: ``bot.dialogue.state``) and, when the channel gave the message an id,
that message's receipt (``bot.conversation.receipts``): a message already
processed is answered as it was then and stores nothing again.

The snapshot becomes a :class:`bot.conversation.records.SurveyRecord`; the
core's effects are applied to it by the one applier
(``bot.conversation.records.apply``), and :func:`write_changes` writes its
new rows and changed columns with prebuilt Core statements (a fraction of an
ORM flush per row, docs/performance.md), the opt-out list included, then
refreshes the survey's KPI facts. The import writes the same records in bulk
(``bot.importing.bulk_store``).
"""
from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, insert, select, update
from sqlalchemy.orm import Session

from bot.conversation import optouts, receipts
from bot.conversation.records import Ref, Row, SurveyRecord, apply, stored_text
from bot.db.models import AuditLog, Call, Flag, Rating, Reason, Survey
from bot.db.receipts import MessageReceipt
from bot.dialogue import engine
from bot.dialogue.state import DialogueState, Outcome
from bot.dialogue.turn import Classify, TurnDecision
from bot.ledger import counting, fact_table

_SURVEYS = cast(Table, Survey.__table__)
_RATINGS = cast(Table, Rating.__table__)
_REASONS = cast(Table, Reason.__table__)
_FLAGS = cast(Table, Flag.__table__)
_AUDIT = cast(Table, AuditLog.__table__)


@cache  # statements built once: constructing them costs more than running them
def _statements() -> dict[str, Any]:
    counted_reason = (select(Reason.id).where(Reason.rating_id == Rating.id, counting.is_current_reason())
                      .scalar_subquery().label("reason_id"))
    counted_reason_source = (select(Reason.source).where(Reason.rating_id == Rating.id,
                                                         counting.is_current_reason())
                             .scalar_subquery().label("reason_source"))
    base = (
        select(Survey.id, Survey.status, Survey.expires_at, Survey.template_version, Survey.needs_followup,
               Survey.stage, Survey.retries, Survey.pending_reason, Call.channel_hash, Call.customer_channel_id,
               Rating.id.label("rating_id"), Rating.score, Rating.status.label("rating_status"), counted_reason,
               counted_reason_source)
        .select_from(Survey)
        .join(Call, Call.id == Survey.call_id)
        .outerjoin(Rating, and_(Rating.survey_id == Survey.id, counting.is_counted_rating()))
    )
    by_token = base.where(Survey.token == bindparam("token"))
    with_receipt = by_token.add_columns(
        MessageReceipt.id.label("receipt_id"), MessageReceipt.responses,
    ).outerjoin(MessageReceipt, and_(MessageReceipt.survey_id == Survey.id,
                                     MessageReceipt.message_id == bindparam("message_id")))
    return {
        "lock": select(Survey.id).where(Survey.token == bindparam("token")).with_for_update(),
        "lock_id": select(Survey.id).where(Survey.id == bindparam("sid")).with_for_update(),
        "snapshot": by_token,
        "snapshot_receipt": with_receipt,
        "snapshot_id": base.where(Survey.id == bindparam("sid")),
        "rating": insert(_RATINGS).returning(_RATINGS.c.id),
        "reason": insert(_REASONS).returning(_REASONS.c.id),
        "flag": insert(_FLAGS).returning(_FLAGS.c.id),
        "audit": insert(_AUDIT),
        # SET takes the columns named in the parameters (status, needs_followup, the state's).
        "survey": update(_SURVEYS).where(_SURVEYS.c.id == bindparam("sid")),
        "rating_status": update(_RATINGS).where(_RATINGS.c.id == bindparam("rid")).values(
            status=bindparam("new_status")),
    }


def _record_of(row: Any, channel_secret: str | None) -> SurveyRecord:
    state = DialogueState(stage=row.stage, retries=row.retries or 0, pending_reason=row.pending_reason)
    key = row.channel_hash
    if key is None and row.customer_channel_id and channel_secret is not None:
        key = optouts.channel_hash(row.customer_channel_id, channel_secret)  # a call from before channels
    return SurveyRecord.loaded(
        survey_id=row.id, status=row.status, expires_at=row.expires_at, template_version=row.template_version,
        needs_followup=row.needs_followup, state=state, channel_hash=key,
        counted=(row.rating_id, row.score, row.rating_status) if row.rating_id is not None else None,
        counted_reason_id=row.reason_id, counted_reason_source=row.reason_source)


def _load(s: Session, token: str, message_id: str | None, channel_secret: str | None
          ) -> tuple[SurveyRecord, Any] | None:
    """The survey's record and the message's receipt (None when not processed yet), locked; None for an unknown token."""
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
    receipt = row if message_id is not None and row.receipt_id is not None else None
    return _record_of(row, channel_secret), receipt


def load_by_id(s: Session, survey_id: int, channel_secret: str | None = None) -> SurveyRecord | None:
    """The record of survey ``survey_id`` as a turn loads it, row locked (for the sweep and staff decisions)."""
    q, c = _statements(), s.connection()
    if c.dialect.name != "sqlite" and c.execute(q["lock_id"], {"sid": survey_id}).first() is None:
        return None
    row = c.execute(q["snapshot_id"], {"sid": survey_id}).first()
    return _record_of(row, channel_secret) if row is not None else None


# --- writing a loaded record's changes ---------------------------------------------------

def _ref(value: Any) -> Any:
    if isinstance(value, Ref):
        return value.row.id if value.row is not None else None
    return value


def write_changes(s: Session, d: SurveyRecord, now: datetime, *, channel_secret: str | None) -> None:
    """Write what applying effects added to a loaded record: new rows, changed columns, audit rows, the opt-out list.

    Runs in the caller's transaction, after :func:`load_by_id` or the turn's
    load locked the survey row. Refreshes the survey's ``survey_facts`` row
    when anything but the dialogue state changed.

    Args:
        s: Open session; the caller owns the transaction.
        d: A record from :func:`load_by_id` or a turn's load, with effects applied.
        now: Time of the change (the opt-out list's).
        channel_secret: Unused since calls keep their identity hash; kept for the callers' symmetry.
    """
    q, c = _statements(), s.connection()
    ratings, reasons, flags = d.new_rows()
    for r in ratings:
        r.id = c.execute(q["rating"], {
            "survey_id": d.id, "score": r.score, "raw_reply": r.raw_reply, "received_at": r.received_at,
            "status": r.status, "supersedes_id": r.supersedes.id if r.supersedes else None,
            "created_at": r.created_at}).scalar_one()
    for r in d.ratings:
        if r.status_changed:
            c.execute(q["rating_status"], {"rid": r.id, "new_status": r.status})
            r.status_changed = False
    for x in reasons:
        x.id = c.execute(q["reason"], {
            "rating_id": x.rating.id, "text": x.text, "cause": x.cause, "attribution": x.attribution,
            "confidence": x.confidence, "source": x.source, "model_version": x.model_version,
            "evidence": x.evidence, "needs_review": x.needs_review, "model_cause": x.model_cause,
            "model_confidence": x.model_confidence,
            "supersedes_id": x.supersedes.id if x.supersedes else None, "created_at": x.created_at}).scalar_one()
    for f in flags:
        f.id = c.execute(q["flag"], {"survey_id": d.id, "kind": f.kind, "text": f.text,
                                     "created_at": f.created_at}).scalar_one()
    if d.opt_out is not None:
        _write_opt_out(s, d, now)
    columns = {name: getattr(d, name) for name in d.changed if name != "state"}
    if "state" in d.changed:
        state = d.state.to_dict()
        # Redacted again at rest: what the channel redacted may have missed a new way of writing a number.
        state["pending_reason"] = stored_text(state["pending_reason"]) if state["pending_reason"] else None
        columns.update(state)
    if columns:
        c.execute(q["survey"], {"sid": d.id, **columns})
    if d.audits:
        c.execute(q["audit"], [_audit_values(a) for a in d.audits])
    if d.changed - {"state"} or ratings or reasons or flags:
        fact_table.refresh_survey_facts(s, cast(int, d.id))
    d.changed.clear()
    d.audits.clear()


def _audit_values(a: Any) -> dict[str, Any]:
    entity_id = a.row.id if isinstance(a.row, Row) else a.row
    return {"at": a.at, "actor": a.actor, "entity": a.entity, "entity_id": str(entity_id), "action": a.action,
            "data": {k: _ref(v) for k, v in a.data.items()}}


def _write_opt_out(s: Session, d: SurveyRecord, now: datetime) -> None:
    """Put the call's channel on the opt-out list (or take it off), in the turn's own transaction."""
    if d.channel_hash is not None:
        if d.opt_out == "out":
            optouts.opt_out_key(s, d.channel_hash, now, survey_id=d.id)
        else:
            optouts.opt_in_key(s, d.channel_hash, now)
    d.opt_out = None


# --- one function per use ---------------------------------------------------------

def _finish(s: Session, d: SurveyRecord | None, decision: TurnDecision, now: datetime, message_id: str | None,
            channel_secret: str | None) -> Outcome:
    if d is None:
        assert not decision.effects, "the engine stores nothing for an unknown survey"
        return decision.outcome  # an unknown token has no row to keep a state on
    before = d.state
    apply(d, decision.effects, decision.state, now)
    write_changes(s, d, now, channel_secret=channel_secret)
    if message_id is not None:
        receipts.record(s, cast(int, d.id), message_id, before, decision.outcome, now)
    return decision.outcome


def start_turn(s: Session, token: str, now: datetime, greeting: str | None = None,
               message_id: str | None = None, *, channel_secret: str | None = None) -> Outcome:
    """The customer opened the chat: greet, resume, or explain why the survey cannot be answered.

    Args:
        s: Open session; the caller owns the transaction.
        token: The survey's chat token (Rasa's sender id).
        now: Time the chat was opened (UTC).
        greeting: Greeting version to show; defaults to the survey's own template version.
        message_id: The channel's id of the request, if any (a repeat is answered as the first time).
        channel_secret: Key of the opt-out list (see :func:`write_changes`).

    Returns:
        What to say, the survey's new state and its status (already stored).
    """
    loaded = _load(s, token, message_id, channel_secret)
    if loaded is not None and loaded[1] is not None:
        return receipts.replay(loaded[1], loaded[0].state, loaded[0].status)
    d = loaded[0] if loaded else None
    view = d.view() if d else None
    decision = engine.start(view, d.state if d else DialogueState(), now,
                            greeting or (view.template_version if view else ""))
    return _finish(s, d, decision, now, message_id, channel_secret)


def reply_turn(s: Session, token: str, text: str, now: datetime, classify: Classify,
               message_id: str | None = None, *, channel_secret: str | None = None) -> Outcome:
    """One customer message within a survey: decide, store, and return what to say.

    Takes what ``bot.dialogue.engine.handle_reply`` takes, with the survey's
    chat token (Rasa's sender id) in place of the snapshot and the state (both
    read from the database), an open session ``s`` whose transaction the
    caller owns, the channel's ``message_id`` of the message, if any (a
    message already processed is answered as the first time and stores
    nothing again), and the opt-out list's ``channel_secret``.

    Returns:
        What to say, the survey's new state and its status (already stored).
    """
    loaded = _load(s, token, message_id, channel_secret)
    if loaded is not None and loaded[1] is not None:
        return receipts.replay(loaded[1], loaded[0].state, loaded[0].status)
    d = loaded[0] if loaded else None
    decision = engine.handle_reply(d.view() if d else None, d.state if d else DialogueState(), text, now, classify)
    return _finish(s, d, decision, now, message_id, channel_secret)
