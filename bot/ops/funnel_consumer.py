"""The survey funnel from Rasa's event stream: invited → opened → rated → reason given → completed.

``feedbackbot funnel-consumer`` runs :func:`consume`: it reads the events Rasa
publishes to RabbitMQ (``RABBITMQ_QUEUE``, production profile) and records,
per survey, each step it reached and when. Rasa events carry no id, so each
gets one: the sha256 of its sender, timestamp, type and payload; a
re-delivered event inserts nothing (primary key, ``ON CONFLICT DO NOTHING``),
and a message is acknowledged only after its rows committed. The report is
``bot.scoring.funnel``.
"""
from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from bot.db.funnel import FunnelEvent
from bot.domain import FunnelStep

log = logging.getLogger(__name__)

# What each bot utterance shows the customer has done (Rasa puts the response
# name in the bot event's ``metadata.utter_action``).
UTTERANCE_STEPS: dict[str, tuple[FunnelStep, ...]] = {
    "utter_ask_reason": (FunnelStep.RATED,),
    "utter_confirm_score": (FunnelStep.RATED,),
    "utter_ask_cause_choice": (FunnelStep.RATED, FunnelStep.REASON),
    "utter_thanks_reason": (FunnelStep.RATED, FunnelStep.REASON, FunnelStep.COMPLETED),
    "utter_thanks_high": (FunnelStep.RATED, FunnelStep.COMPLETED),
}
OPENING_ACTION = "action_start_survey"
STEPS_AFTER_INVITE = tuple(s for s in FunnelStep if s != FunnelStep.INVITED)


def event_id(event: dict[str, Any]) -> str:
    """A stable id for a Rasa event: sha256 of its canonical JSON (sender, timestamp, type and payload)."""
    return hashlib.sha256(json.dumps(event, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


def steps_of(event: dict[str, Any]) -> tuple[FunnelStep, ...]:
    """The funnel steps a Rasa event shows (none for most events)."""
    kind = event.get("event")
    if kind == "action" and event.get("name") == OPENING_ACTION:
        return (FunnelStep.OPENED,)
    if kind == "bot":
        utterance = (event.get("metadata") or {}).get("utter_action")
        return UTTERANCE_STEPS.get(utterance, ()) if isinstance(utterance, str) else ()
    return ()


def rows_of(event: dict[str, Any]) -> list[dict[str, Any]]:
    """Funnel rows for one event, each keyed by the event's id and the step."""
    token, stamp = event.get("sender_id"), event.get("timestamp")
    if not isinstance(token, str) or not isinstance(stamp, int | float) or len(token) > 64:
        return []
    base = event_id(event)
    at = datetime.fromtimestamp(stamp, UTC)
    return [{"event_id": hashlib.sha256(f"{base}:{step}".encode()).hexdigest(), "survey_token": token,
             "step": str(step), "at": at} for step in steps_of(event)]


def record(s: Session, events: Iterable[dict[str, Any]]) -> int:
    """Store the funnel rows of ``events``, ignoring those already stored; returns how many were new."""
    rows = [row for event in events for row in rows_of(event)]
    if not rows:
        return 0
    insert = pg_insert if s.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = insert(FunnelEvent).values(rows).on_conflict_do_nothing(index_elements=["event_id"])
    return len(s.execute(stmt.returning(FunnelEvent.event_id)).all())


# --- consumer -------------------------------------------------------------------------

def consume(database_url: str, *, host: str, port: int, user: str, password: str, queue: str,
            idle_stop_s: float | None = None) -> int:
    """Read events from RabbitMQ until interrupted (or idle for ``idle_stop_s``); returns rows stored.

    Each message is acknowledged after its rows committed; a database failure
    leaves it unacknowledged and reconnects, so RabbitMQ delivers it again
    (and the event id keeps the second delivery from counting twice).
    """
    import pika

    from bot.db.session import open_session

    params = pika.ConnectionParameters(host, port, credentials=pika.PlainCredentials(user, password),
                                       heartbeat=30)
    stored = 0
    conn = pika.BlockingConnection(params)
    try:
        channel = conn.channel()
        channel.queue_declare(queue, durable=True)  # as Rasa's broker declares it
        channel.basic_qos(prefetch_count=200)
        for method, _props, body in channel.consume(queue, inactivity_timeout=idle_stop_s or 1.0):
            if method is None:
                if idle_stop_s is not None:
                    break
                continue
            try:
                event = json.loads(body)
            except ValueError:
                log.warning("dropping a message that is not JSON: %r", body[:200])
                channel.basic_ack(method.delivery_tag)
                continue
            try:
                with open_session(database_url) as s, s.begin():
                    stored += record(s, [event] if isinstance(event, dict) else [])
            except Exception:
                log.exception("funnel write failed; the event will be delivered again")
                channel.basic_nack(method.delivery_tag, requeue=True)
                time.sleep(1.0)
                continue
            channel.basic_ack(method.delivery_tag)
        channel.cancel()
    finally:
        conn.close()
    return stored
