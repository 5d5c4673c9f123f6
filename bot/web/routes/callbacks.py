"""The SMS and WeChat channels over HTTP: the providers' pushes, acknowledged at once and processed on the job runner.

* ``POST /callbacks/sms/{tencent|aliyun|generic}/{secret}``: Tencent Cloud's
  reply callback, Alibaba Cloud's SmsUp push and our generic gateway's. None
  is signed: the secret in the path, an optional source allow-list and the
  replay window authenticate them; anything else is 404 (the URL's existence
  is not confirmed). Each reply is stored once (a repeated delivery is
  acknowledged and stored nothing) and queued for :mod:`bot.channels.inbox`.
* ``GET``/``POST /callbacks/wechat``: the official account's server URL check
  and message push (signature, encrypted mode). A text or voice message is
  stored once by ``MsgId`` and answered passively within WeChat's 5 seconds
  when the turn is quick enough; otherwise ``success`` at once, and the job
  runner sends the answer through the customer-service API.
"""
from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from starlette.concurrency import run_in_threadpool

from bot.channels import inbox
from bot.channels.callback_guard import secret_matches, source_allowed
from bot.channels.identity import masked
from bot.channels.sms_inbound import CallbackError, Replay, ack, parse_callback, replay_verdict, retry_later
from bot.channels.wechat import (
    PASSIVE_REPLY_BUDGET_SECONDS,
    SUCCESS,
    Ignored,
    PushError,
    WechatEndpoint,
    read_message,
)
from bot.clock import utcnow
from bot.conversation import optouts
from bot.db.connection import autocommit_engine_for
from bot.db.session import open_session
from bot.settings import Settings

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)
PROVIDERS = ("tencent", "aliyun", "generic")


def _settings(request: Request) -> Settings:
    return request.app.state.settings


def _identity(settings: Settings, channel: str, value: str) -> inbox.Identity:
    return inbox.Identity(channel, value, optouts.channel_hash(value, settings.session_secret), masked(channel, value))


def _not_found() -> Response:
    return PlainTextResponse("not found", status_code=404)


@router.post("/callbacks/sms/{provider}/{secret}")
async def sms_callback(request: Request, provider: str, secret: str) -> Response:
    """One provider push of customers' SMS replies: stored once each, queued, acknowledged as the provider expects."""
    settings = _settings(request)
    peer = request.client.host if request.client else ""
    if (provider not in PROVIDERS or not settings.sms_callback_secret
            or not secret_matches(secret, settings.sms_callback_secret)
            or not source_allowed(peer, settings.sms_allowed_sources)):
        log.warning("SMS callback refused (provider %r from %s)", provider[:16], peer)
        return _not_found()
    parsed = parse_callback(provider, await request.body(), secret=settings.identity_secret)
    if isinstance(parsed, CallbackError):
        log.warning("unreadable %s SMS push: %s", provider, parsed.reason)
        answer = ack(provider, parsed)
        return JSONResponse(answer.body, status_code=answer.status)
    try:
        # Storing and queueing wait on the database and the queue: off the event loop, so pushes overlap.
        await run_in_threadpool(_store_and_queue, request, settings, provider, parsed)
    except Exception:  # noqa: BLE001 - the provider must resend: the dedupe key makes that harmless
        log.exception("SMS push could not be stored or queued")
        answer = retry_later(provider)
        return JSONResponse(answer.body, status_code=answer.status)
    answer = ack(provider, parsed)
    return JSONResponse(answer.body, status_code=answer.status)


def _store_and_queue(request: Request, settings: Settings, provider: str, parsed) -> None:
    """Store each reply of a push once (replay window applied) and queue the new ones for the worker."""
    now = utcnow()
    received: list[inbox.Received] = []
    for m in parsed.messages:
        verdict = replay_verdict(m.sent_at, now, max_age=timedelta(seconds=settings.sms_replay_window_seconds),
                                 max_skew=timedelta(seconds=settings.sms_replay_skew_seconds))
        if verdict is not Replay.OK:
            log.warning("SMS reply refused by the replay window (%s)", verdict)
            continue
        received.append(inbox.Received(_identity(settings, "sms", m.mobile), provider, m.dedupe_key, m.text,
                                       m.sent_at, now, m.extend))
    for inbound_id, m in inbox.do_store_push(autocommit_engine_for(settings.database_url), received):
        request.app.state.jobs.enqueue(inbox.PROCESS, inbound_id,
                                       {"channel": "sms", "value": m.who.value, "masked": m.who.masked})


def _endpoint(settings: Settings) -> WechatEndpoint | None:
    if not settings.wechat_token:
        return None
    return WechatEndpoint(settings.wechat_token, settings.wechat_app_id, settings.wechat_aes_key)


@router.get("/callbacks/wechat")
def wechat_verify(request: Request) -> Response:
    """WeChat's check of the server URL: the ``echostr`` back when the signature is right."""
    endpoint = _endpoint(_settings(request))
    if endpoint is None:
        return _not_found()
    answer = endpoint.verify_url(dict(request.query_params))
    if isinstance(answer, PushError):
        return PlainTextResponse("forbidden", status_code=403 if answer is PushError.BAD_SIGNATURE else 400)
    return PlainTextResponse(answer)


@router.post("/callbacks/wechat")
async def wechat_push(request: Request) -> Response:
    """A message to the official account: answered passively within WeChat's 5 seconds, or later by the job runner."""
    settings = _settings(request)
    endpoint = _endpoint(settings)
    if endpoint is None:
        return _not_found()
    push = endpoint.read_push(dict(request.query_params), await request.body())
    if isinstance(push, PushError):
        bad = push in (PushError.BAD_SIGNATURE, PushError.BAD_APP_ID)
        return PlainTextResponse("forbidden" if bad else "bad request", status_code=403 if bad else 400)
    message = read_message(push)
    if isinstance(message, Ignored):
        return PlainTextResponse(endpoint.reply(push, message.reply_text) if message.reply_text else SUCCESS,
                                 media_type="application/xml" if message.reply_text else "text/plain")
    who = _identity(settings, "wechat", message.openid)
    with open_session(settings.database_url) as s, s.begin():
        stored = inbox.do_store(s, who=who, provider="wechat", dedupe_key=message.dedupe_key, text=message.text,
                                sent_at=message.create_time, received_at=utcnow(), extend=None)
    if stored is None:
        return PlainTextResponse(SUCCESS)  # WeChat's retry of a message already taken
    identity = {"channel": "wechat", "value": message.openid, "masked": who.masked}
    answered: list[int] = []
    try:
        # The turn runs here, in the web process's loop, only for WeChat's passive reply; its answer is
        # queued as an outbound row, which is sent passively now or by the job runner when too late.
        outcome, answer_id = await asyncio.wait_for(
            inbox.play_stored(settings, stored, who, request.app.state.gateway.rasa), PASSIVE_REPLY_BUDGET_SECONDS)
        if answer_id is not None:
            answered.append(answer_id)
    except (TimeoutError, Exception) as exc:  # noqa: BLE001 - too slow or failed: the job runner takes over
        log.info("WeChat message %s answered later (%s)", stored, type(exc).__name__)
        request.app.state.jobs.enqueue(inbox.PROCESS, stored, identity)
        return PlainTextResponse(SUCCESS)
    if not answered:
        return PlainTextResponse(SUCCESS)
    text = _claim_passive(settings, answered[0])
    if text is None:
        return PlainTextResponse(SUCCESS)
    return Response(endpoint.reply(push, text), media_type="application/xml")


def _claim_passive(settings: Settings, outbound_id: int) -> str | None:
    """Mark a queued answer as sent by the passive reply (it is in this HTTP answer); its text."""
    from bot.db.channels import OutboundMessage

    with open_session(settings.database_url) as s, s.begin():
        row = s.get(OutboundMessage, outbound_id, with_for_update=True)
        if row is None or row.status != "queued":
            return None
        row.status, row.sent_at, row.provider, row.attempts = "sent", utcnow(), "wechat-passive", 1
        return row.text

