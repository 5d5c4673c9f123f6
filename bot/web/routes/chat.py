"""The customer's chat page and its proxy to Rasa.

The browser never talks to Rasa directly: the proxy checks the survey token,
bounds the message and uses the token as Rasa's sender id, so one chat link
is one conversation.
"""
from __future__ import annotations

import logging

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from bot.db.models import Survey
from bot.domain import OPEN_SURVEY_STATUSES
from bot.services import receipts, surveys
from bot.web import messages
from bot.web.deps import SessionDep
from bot.web.schemas import ChatIn, ChatMessage, ChatOut
from bot.web.templating import templates

log = logging.getLogger(__name__)
router = APIRouter()
MAX_TOKEN_CHARS = 64


def _survey(s: Session, token: str) -> Survey | None:
    """The survey of ``token``; a read that lost its database connection is retried (it changes nothing)."""
    if len(token) > MAX_TOKEN_CHARS:
        return None
    retrying = Retrying(retry=retry_if_exception_type(DBAPIError), stop=stop_after_attempt(4),
                        wait=wait_exponential(multiplier=0.05, max=0.5), reraise=True,
                        before_sleep=lambda _state: _release(s))
    return retrying(surveys.survey_by_token, s, token)


def _release(s: Session) -> None:
    """End the read transaction, handing the connection back to the pool while Rasa works.

    A connection the database dropped meanwhile fails even to roll back: it is
    discarded instead (nothing was written on it).
    """
    try:
        s.close()
    except DBAPIError:
        s.invalidate()


def _expects_reply(s: Session, token: str) -> bool | JSONResponse:
    """Whether the survey of ``token`` is open (every message then gets an answer), or the error response.

    Ends the read transaction before the caller waits for Rasa.
    """
    try:
        survey = _survey(s, token)
    except DBAPIError as exc:
        log.warning("database unavailable: %s", exc)
        return _reply(ChatOut.say(messages.BUSY), 503)
    if survey is None:
        return _not_found()
    open_now = survey.status in OPEN_SURVEY_STATUSES
    _release(s)
    return open_now


def _known(s: Session, token: str) -> bool:
    return _survey(s, token) is not None


def turn_failed(replies: list[dict], expects_reply: bool) -> bool:
    """Whether Rasa's answer means the customer's message was not processed.

    The action server marks a failed turn (``receipts.TURN_FAILED``, sent with
    ``utter_error``); an unreachable or dead action server gives no answer at
    all, which is a failure too when the survey is open (every message there
    gets one).
    """
    if any(m.get("custom") == receipts.TURN_FAILED for m in replies):
        return True
    return expects_reply and not any(m.get("text") for m in replies)


def _reply(out: ChatOut, status_code: int = 200) -> JSONResponse:
    return JSONResponse(out.model_dump(), status_code=status_code)


def _not_found() -> JSONResponse:
    return _reply(ChatOut.say(messages.SURVEY_NOT_FOUND), 404)


async def _to_rasa(request: Request, token: str, message: str, *, message_id: str | None = None,
                   expects_reply: bool = False) -> JSONResponse:
    body: dict = {"sender": token, "message": message}
    if message_id:
        body["metadata"] = {"message_id": message_id}
    try:
        r = await request.app.state.rasa.post("/webhooks/rest/webhook", json=body)
        r.raise_for_status()
        replies = r.json()
    except (httpx.HTTPError, ValueError) as exc:
        log.warning("rasa unavailable: %s", exc)
        return _reply(ChatOut.say(messages.BUSY), 503)
    if turn_failed(replies, expects_reply):
        log.warning("turn of %s not processed (replies: %s)", token[:6], replies)
        return _reply(ChatOut.say(messages.RESEND), 503)
    return _reply(ChatOut(messages=[ChatMessage(text=m.get("text"), buttons=m.get("buttons") or [])
                                    for m in replies if m.get("text")]))


@router.get("/s/{token}", response_class=HTMLResponse, include_in_schema=False)
def chat_page(request: Request, token: str, s: SessionDep):
    """The chat page of one survey (404 page for an unknown link)."""
    if not _known(s, token):
        return templates.TemplateResponse(request, "not_found.html", status_code=404)
    return templates.TemplateResponse(request, "chat.html", {"token": token})


@router.post("/api/chat/{token}/start", response_model=ChatOut, tags=["chat"])
async def chat_start(request: Request, token: str, s: SessionDep):
    """Open the conversation: the bot greets and states the scale."""
    expects_reply = _expects_reply(s, token)
    if isinstance(expects_reply, JSONResponse):
        return expects_reply
    return await _to_rasa(request, token, "/start_survey", expects_reply=expects_reply)


@router.post("/api/chat/{token}", response_model=ChatOut, tags=["chat"])
async def chat(request: Request, token: str, body: ChatIn, s: SessionDep):
    """Relay one customer message to the dialogue engine and return the bot's replies."""
    expects_reply = _expects_reply(s, token)
    if isinstance(expects_reply, JSONResponse):
        return expects_reply
    message = body.message.strip()
    if not message:
        return _reply(ChatOut.say(messages.EMPTY_MESSAGE))
    if len(message) > messages.MAX_MESSAGE_CHARS:
        return _reply(ChatOut.say(messages.MESSAGE_TOO_LONG))
    if message.startswith("/"):
        # A leading slash would be read by Rasa as an intent command.
        message = message.lstrip("/") or "?"
    return await _to_rasa(request, token, message, message_id=receipts.clean_message_id(body.message_id),
                          expects_reply=expects_reply)
