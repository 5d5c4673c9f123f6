"""Erasing a customer's conversations from Rasa's tracker store (nothing of ours imports Rasa).

Rasa keeps each conversation's events (the customer's messages as they
reached Rasa, already redacted by the gateway, the bot's answers, slots)
under the sender id, which the gateway sets to the survey's token. Two ways
reach them, and which one works depends on the tracker store, as measured on
Rasa 3.6 (tests/e2e/test_erasure_stack.py, tests/e2e/test_production_profile.py):

* **SQL tracker store** (production, ``endpoints.production.yml``): the rows
  of its ``events`` table are deleted (:func:`do_delete_sql`). Rasa reads a
  conversation from the table at every turn and keeps nothing in memory, so
  this is safe while it runs (the next message of that conversation is
  answered and starts from the empty table). Rasa's HTTP API cannot do it
  there: ``PUT /conversations/{id}/tracker/events`` saves the new tracker with
  ``SQLTrackerStore.save``, which appends only the events beyond those already
  stored, so the old rows stay and are served again (measured with Rasa
  3.6's store: 4 rows before, 4 after a replacement by ``[]``). One race is
  left: a turn of that same conversation in flight at the very moment of the
  deletion saves its whole tracker back; erasure on request comes days after
  the call, and running it again removes that too.
* **In-memory tracker store** (development, ``endpoints.yml``): only the
  running Rasa holds the events; ``PUT /conversations/{id}/tracker/events``
  with an empty list replaces the conversation, under Rasa's own lock of that
  conversation (so never in the middle of a turn). It needs Rasa's HTTP API
  (``RASA_API_TOKEN``); without it the events live only until Rasa restarts.

Every result is verified: the conversation is read back and must hold no
event with content (``user``, ``bot``, ``slot``...).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import httpx
from sqlalchemy import bindparam
from sqlalchemy import text as sql
from sqlalchemy.exc import SQLAlchemyError

from bot.db.audit import audit
from bot.db.connection import make_engine
from bot.db.session import open_session
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.privacy.erasure import Found

_BATCH = 500
# Events that carry no content: Rasa answers a read of an empty conversation with a
# fresh session made of these (without storing it), so only other events count as held.
_BOOKKEEPING = frozenset({"action", "session_started", "action_execution_rejected", "restart", "rewind"})


@dataclass(frozen=True)
class TrackerOutcome:
    """What happened in Rasa's tracker store (counts only).

    Attributes:
        way: ``sql`` (the tracker store's table), ``http`` (Rasa's HTTP API), ``none`` (not
            configured) or ``error`` (configured, unreachable or refused).
        events: Events removed.
        conversations: Conversations that held events.
        ok: True when every conversation was read back empty (or there was none); False otherwise.
        error: The exception's class name when ``way`` is ``error``.
    """

    way: str
    events: int
    conversations: int
    ok: bool
    error: str | None = None


def do_delete_sql(tracker_url: str, sender_ids: list[str]) -> TrackerOutcome:
    """Delete every event of ``sender_ids`` from the SQL tracker store's ``events`` table, and verify.

    One transaction of its own on the tracker store's database (not ours: a
    different database, which Rasa owns); idempotent, so a failed erasure is
    simply run again.
    """
    engine = make_engine(tracker_url)
    try:
        removed = conversations = 0
        with engine.begin() as conn:
            for i in range(0, len(sender_ids), _BATCH):
                batch = sender_ids[i:i + _BATCH]
                counted = conn.execute(sql("SELECT count(DISTINCT sender_id) FROM events WHERE sender_id IN :ids")
                                       .bindparams(bindparam("ids", expanding=True)), {"ids": batch}).scalar_one()
                conversations += int(counted)
                removed += int(conn.execute(sql("DELETE FROM events WHERE sender_id IN :ids")
                                            .bindparams(bindparam("ids", expanding=True)), {"ids": batch}).rowcount)
        with engine.connect() as conn:
            left = sum(int(conn.execute(sql("SELECT count(*) FROM events WHERE sender_id IN :ids")
                                        .bindparams(bindparam("ids", expanding=True)),
                                        {"ids": sender_ids[i:i + _BATCH]}).scalar_one())
                       for i in range(0, len(sender_ids), _BATCH))
    finally:
        engine.dispose()
    return TrackerOutcome("sql", removed, conversations, ok=left == 0)


def _events(client: httpx.Client, sender_id: str, token: str) -> list[dict]:
    """The conversation's events that carry content (messages, answers, slots)."""
    r = client.get(f"/conversations/{sender_id}/tracker", params={"token": token, "include_events": "ALL"})
    r.raise_for_status()
    return [e for e in r.json().get("events") or [] if e.get("event") not in _BOOKKEEPING]


def replace_http(rasa_url: str, api_token: str, sender_ids: list[str], *, timeout: float = 30.0) -> TrackerOutcome:
    """Replace each conversation of ``sender_ids`` by an empty one through Rasa's HTTP API, and verify.

    Raises:
        httpx.HTTPError: when Rasa cannot be reached or refuses (the caller reports it; run again later).
    """
    removed = conversations = 0
    ok = True
    with httpx.Client(base_url=rasa_url, timeout=timeout) as client:
        for sender_id in sender_ids:
            held = _events(client, sender_id, api_token)
            if not held:
                continue
            conversations += 1
            r = client.put(f"/conversations/{sender_id}/tracker/events", params={"token": api_token}, json=[])
            r.raise_for_status()
            left = _events(client, sender_id, api_token)
            removed += len(held) - len(left)
            ok = ok and not left
    return TrackerOutcome("http", removed, conversations, ok=ok)


def erase_conversations(settings: Settings, sender_ids: list[str]) -> TrackerOutcome:
    """Remove the conversations ``sender_ids`` from Rasa's tracker store, the way that store allows.

    The SQL tracker store when configured (``RASA_TRACKER_DB_*``), else
    Rasa's HTTP API when it is on (``RASA_API_TOKEN``), else nothing can be
    reached (``way="none"``, ``ok`` False unless there is no conversation).

    Raises:
        httpx.HTTPError, sqlalchemy.exc.SQLAlchemyError: when the store cannot be reached.
    """
    if not sender_ids:
        return TrackerOutcome("none", 0, 0, ok=True)
    if settings.rasa_tracker_url:
        return do_delete_sql(settings.rasa_tracker_url, sender_ids)
    if settings.rasa_api_token:
        return replace_http(settings.rasa_url, settings.rasa_api_token, sender_ids)
    return TrackerOutcome("none", 0, 0, ok=False)


def do_erase_tracker(settings: Settings, found: Found, *, actor: str, now: datetime) -> TrackerOutcome:
    """Erase ``found``'s conversations from Rasa's tracker store and audit the outcome (counts only).

    Call it after the transaction of :func:`bot.privacy.erasure.do_erase`
    committed: Rasa's store is another database, so it gets its own step,
    then one audit row in its own transaction on ours. Never raises for an
    unreachable store: the outcome says so (``ok`` False) and the erasure is
    simply run again.
    """
    try:
        outcome = erase_conversations(settings, found.tokens)
    except (httpx.HTTPError, SQLAlchemyError) as exc:
        outcome = TrackerOutcome("error", 0, 0, ok=False, error=type(exc).__name__)
    with open_session(settings.database_url) as s, s.begin():
        audit(s, at=now, actor=actor, entity="privacy", entity_id=found.key[:16], action="tracker_erased",
              way=outcome.way, events=outcome.events, conversations=outcome.conversations, ok=outcome.ok,
              **({"error": outcome.error} if outcome.error else {}))
    return outcome
