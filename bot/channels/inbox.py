"""Customers' messages from SMS and WeChat: stored once, then played to their survey through the conversation gateway.

A callback stores each message once under its dedupe key (:func:`do_store`)
and acknowledges at once; the job runner then runs :func:`process` for it:

* the identity's open surveys are found by the call's keyed hash (latest
  first); none → a polite answer and nothing stored; two or more → the
  customer is asked which call, and their answer plays the waiting message to
  the chosen survey;
* a survey never opened is opened first (its greeting was the invitation), so
  an SMS conversation stores exactly what the same words store in the web chat;
* the gateway decides (bounds, redaction, Rasa, the transcript, opt-out), and
  the answer goes back on the same channel through the outbox; "TD" or "退订"
  with no open survey still puts the identity on the opt-out list; with no open
  survey, a message is still played to the identity's latest survey where the
  web link would take it (a completed survey within its validity window, for a
  correction; an opted-out one, for "重新订阅"), so the core decides the same.
"""
from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
from sqlalchemy import Engine, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bot.channels import outbox
from bot.channels.plain_text import plain_answer
from bot.channels.reply_matching import (
    NO_OPEN_SURVEY_ZH,
    Match,
    OpenSurvey,
    match_reply,
    which_call_answer,
    which_call_question,
)
from bot.channels.sms_inbound import is_opt_out
from bot.clock import as_utc, utcnow
from bot.conversation import optouts
from bot.conversation.gateway import Gateway, Reply, Verdict
from bot.db.channels import InboundMessage
from bot.db.models import Call, Survey
from bot.db.session import open_session
from bot.db.upsert import insert_or_ignore
from bot.dialogue.cues import is_opt_in
from bot.domain import OPEN_SURVEY_STATUSES, SurveyStatus
from bot.settings import Settings
from zhtext.redact import redact

OPTED_OUT_ZH = "您已退订服务评价，今后不会再收到评价邀请。如需恢复，请回复“重新订阅”。"
#: Names of the runner's jobs (``bot.jobs.catalog``): one stored message, and the two ways of answering.
PROCESS = "process_inbound"
SEND_SMS = "send_sms"
SEND_WECHAT = "send_wechat"


@dataclass(frozen=True)
class Identity:
    """Who wrote: the channel, the raw identity (never stored) and what tables keep of it."""

    channel: str  # sms | wechat
    value: str  # the normalised number or openid
    key: str  # optouts.channel_hash(value): the calls' and the opt-out list's key
    masked: str


@dataclass(frozen=True)
class Received:
    """One message of a provider's push, as it will be stored (the text is redacted on the way in)."""

    who: Identity
    provider: str
    dedupe_key: str
    text: str
    sent_at: datetime | None
    received_at: datetime
    extend: str | None


def _row(m: Received) -> dict[str, Any]:
    return {"dedupe_key": m.dedupe_key[:128], "channel": m.who.channel, "provider": m.provider,
            "channel_hash": m.who.key, "text": redact(m.text)[:2000], "sent_at": m.sent_at,
            "received_at": m.received_at, "extend": m.extend, "status": "queued"}


def do_store_push(engine: Engine, messages: list[Received]) -> list[tuple[int, Received]]:
    """Store a push's messages, each unless its dedupe key is known; the rows inserted with their message.

    One ``INSERT … ON CONFLICT (dedupe_key) DO NOTHING RETURNING`` for the
    whole push on ``engine``, an autocommit engine
    (``bot.db.connection.autocommit_engine_for``), so the statement is its own transaction: all of the push or
    none of it, and a single round trip to the database, which is what the
    provider's acknowledgement waits on. A concurrent or repeated delivery of
    a message loses on the unique key and is not returned. Takes no session:
    it must not join a caller's transaction.
    """
    if not messages:
        return []
    insert_for = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert
    stmt = (insert_for(InboundMessage).values([_row(m) for m in messages])
            .on_conflict_do_nothing(index_elements=["dedupe_key"])
            .returning(InboundMessage.id, InboundMessage.dedupe_key))
    with engine.connect() as conn:
        inserted = {key: row_id for row_id, key in conn.execute(stmt)}
    by_key = {m.dedupe_key[:128]: m for m in messages}
    return sorted((row_id, by_key[key]) for key, row_id in inserted.items())


def do_store(s: Session, *, who: Identity, provider: str, dedupe_key: str, text: str, sent_at: datetime | None,
             received_at: datetime, extend: str | None) -> int | None:
    """Store one inbound message unless its dedupe key is known; its id, or None for a repeat delivery.

    Runs in the caller's transaction; a concurrent delivery of the same
    message loses on the unique key and gets None.
    """
    return insert_or_ignore(s, InboundMessage, ["dedupe_key"], {
        "dedupe_key": dedupe_key[:128], "channel": who.channel, "provider": provider, "channel_hash": who.key,
        "text": redact(text)[:2000], "sent_at": sent_at, "received_at": received_at, "extend": extend,
        "status": "queued"}, InboundMessage.id)


def open_surveys(s: Session, who: Identity) -> list[tuple[OpenSurvey, str, str]]:
    """The identity's open surveys on its channel, with their tokens and statuses (latest call first)."""
    rows = s.execute(select(Survey.id, Call.ended_at, Survey.token, Survey.status).join(Call, Call.id == Survey.call_id)
                     .where(Call.channel_hash == who.key, Call.channel == who.channel,
                            Survey.status.in_(OPEN_SURVEY_STATUSES))
                     .order_by(Call.ended_at.desc(), Survey.id.desc()))
    return [(OpenSurvey(sid, as_utc(ended)), token, status) for sid, ended, token, status in rows]


def _answer(settings: Settings, s: Session, who: Identity, survey_id: int | None, text: str) -> int | None:
    """Queue an answer on the identity's channel; the id of the outbound row (None when there is nothing to say)."""
    if not text:
        return None
    provider = settings.sms_provider if who.channel == "sms" else "wechat"
    return outbox.do_queue(s, channel=who.channel, provider=provider, channel_hash=who.key, masked=who.masked,
                           survey_id=survey_id, kind="reply", text=text, now=utcnow())


Enqueue = Callable[..., Any]


def process(settings: Settings, inbound_id: int, identity: dict[str, str], *, enqueue: Enqueue,
            rasa: httpx.AsyncClient | None = None) -> str:
    """Play one stored message to its survey and queue the answer (a job of the runner); returns what happened.

    Args:
        settings: The process's settings.
        inbound_id: The stored message.
        identity: ``{"channel", "value", "masked"}`` of the sender (the raw value travels only in the job).
        enqueue: Queues the answer's send job (``Runner.enqueue``).
        rasa: Client on Rasa (default: a new one on ``settings.rasa_url``).
    """
    who = Identity(identity["channel"], identity["value"],
                   optouts.channel_hash(identity["value"], settings.session_secret), identity.get("masked", ""))
    outcome, answer_id = asyncio.run(play_stored(settings, inbound_id, who, rasa))
    if answer_id is not None:
        enqueue(SEND_SMS if who.channel == "sms" else SEND_WECHAT, answer_id, who.value)
    return outcome


async def play_stored(settings: Settings, inbound_id: int, who: Identity,
                      rasa: httpx.AsyncClient | None) -> tuple[str, int | None]:
    """Play a stored message (see the module docstring); what happened and the queued answer's id, if any."""
    sessions = lambda: open_session(settings.database_url)  # noqa: E731 - the gateway's session factory
    with sessions() as s:
        message = s.get(InboundMessage, inbound_id)
        if message is None or message.status != "queued":
            return ("done before" if message is not None else "missing"), None
        text, extend = message.text, message.extend
        found = open_surveys(s, who)
        waiting = s.scalar(select(InboundMessage).where(
            InboundMessage.channel_hash == who.key, InboundMessage.status == "awaiting_choice",
            InboundMessage.id != inbound_id).order_by(InboundMessage.id.desc()).limit(1))
        waiting_id, waiting_text = (waiting.id, waiting.text) if waiting is not None else (None, None)
    candidates = [o for o, _, _ in found]
    tokens = {o.survey_id: (token, status) for o, token, status in found}
    if waiting_id is not None and len(candidates) > 1:
        chosen = which_call_answer(text, sorted(candidates, key=lambda o: (o.call_ended_at, o.survey_id)))
        if chosen is not None:  # the answer to "which call?": play the waiting message to that survey
            _settle(settings, inbound_id, "processed", chosen.survey_id)
            return await _play(settings, sessions, who, waiting_id, tokens[chosen.survey_id], chosen.survey_id,
                               waiting_text or "", rasa)
    match = match_reply(candidates, extend)
    if match.kind is Match.NONE:
        # The web chat's link still takes a correction while a completed survey is valid, and "重新订阅"
        # after "TD": with no open survey, such a message goes to that survey so the core decides the same.
        with sessions() as s:
            still = latest_reachable(s, who, utcnow(), opt_in=is_opt_in(text))
        if still is not None:
            survey_id, token, status = still
            return await _play(settings, sessions, who, inbound_id, (token, status), survey_id, text, rasa)
    if match.kind is Match.NONE:
        with sessions() as s, s.begin():
            if is_opt_out(text, sms=who.channel == "sms"):
                optouts.opt_out_key(s, who.key, utcnow())
                answer = _answer(settings, s, who, None, OPTED_OUT_ZH)
            else:
                answer = _answer(settings, s, who, None, NO_OPEN_SURVEY_ZH)
            s.get_one(InboundMessage, inbound_id).status = "no_survey"
        return "no open survey", answer
    if match.kind is Match.ASK:
        with sessions() as s, s.begin():
            s.get_one(InboundMessage, inbound_id).status = "awaiting_choice"
            answer = _answer(settings, s, who, None, which_call_question(match.candidates, settings.timezone))
        return "asked which call", answer
    assert match.survey_id is not None
    return await _play(settings, sessions, who, inbound_id, tokens[match.survey_id], match.survey_id, text, rasa)


def latest_reachable(s: Session, who: Identity, now: datetime, *, opt_in: bool) -> tuple[int, str, str] | None:
    """With no open survey: the identity's latest survey a web link would still take this message to, if any.

    That is its latest survey when it is completed and still within its validity window (a correction
    counts there), or, for an opt-in request, when it was closed by the customer's opt-out.
    Returns ``(survey id, token, status)``.
    """
    row = s.execute(select(Survey.id, Survey.token, Survey.status, Survey.expires_at)
                    .join(Call, Call.id == Survey.call_id)
                    .where(Call.channel_hash == who.key, Call.channel == who.channel)
                    .order_by(Call.ended_at.desc(), Survey.id.desc()).limit(1)).first()
    if row is None:
        return None
    survey_id, token, status, expires_at = row
    if status == SurveyStatus.COMPLETED and expires_at is not None and as_utc(expires_at) > now:
        return survey_id, token, status
    if opt_in and status == SurveyStatus.OPTED_OUT:
        return survey_id, token, status
    return None


def _settle(settings: Settings, inbound_id: int, status: str, survey_id: int | None) -> None:
    with open_session(settings.database_url) as s, s.begin():
        row = s.get_one(InboundMessage, inbound_id)
        row.status, row.survey_id = status, survey_id


async def _play(settings: Settings, sessions: Callable[[], Session], who: Identity, inbound_id: int,
                survey: tuple[str, str], survey_id: int, text: str,
                rasa: httpx.AsyncClient | None) -> tuple[str, int | None]:
    """The gateway's turn for ``text`` in the survey, and its answer queued on the channel."""
    token, status = survey
    client = rasa or httpx.AsyncClient(base_url=settings.rasa_url, timeout=30.0)
    try:
        gateway = Gateway(client, sessions, settings.session_secret, per_survey=1000, per_address=1000)
        if status == SurveyStatus.PENDING:
            opened = await gateway.open(token)  # the invitation was the greeting: only the survey opens
            if opened.verdict not in (Verdict.OK,):
                raise outbox.RetryLater(f"survey {survey_id} could not be opened ({opened.verdict}); retrying")
        reply: Reply = await gateway.message(token, text, f"{who.channel}-{inbound_id}")
    finally:
        if rasa is None:
            await client.aclose()
    if reply.verdict in (Verdict.BUSY, Verdict.RESEND):
        raise outbox.RetryLater(f"turn of inbound message {inbound_id} not processed ({reply.verdict}); retrying")
    separator = "" if who.channel == "sms" else "\n"
    answer_text = plain_answer([{"text": line.text, "buttons": line.buttons} for line in reply.lines],
                               separator=separator)
    with sessions() as s, s.begin():
        row = s.get_one(InboundMessage, inbound_id)
        row.status, row.survey_id = "processed", survey_id
        answer = _answer(settings, s, who, survey_id, answer_text)
    return "played", answer
