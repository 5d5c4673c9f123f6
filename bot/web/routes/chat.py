"""The customer's chat page, its history and its proxy to Rasa.

The browser never talks to Rasa directly: the proxy checks the survey token,
bounds the message, redacts personal data (Rasa's tracker, its store and its
event broker never see the raw text), makes sure the text cannot be read as a
Rasa command, and uses the token as Rasa's sender id, so one chat link is one
conversation. The proxy also keeps the transcript (customer messages
redacted) so a reloaded page resumes the conversation, keeps the opt-out list
(``bot.conversation.optouts``) in step with the survey, and answers for a survey
that is over instead of leaving the customer without a reply.

A message whose turn was not processed (the action server marked it failed,
or nobody answered in an open survey) is answered with 503 and
``messages.RESEND``: the page keeps the text and resends it with the same
message id, which the action server stores once (``actions.turn_runner``).
Reads that lose their database connection are retried (they change nothing).
"""
from __future__ import annotations

import logging
import re
import unicodedata

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from bot.conversation import calls, optouts, receipts, transcripts
from bot.db.models import Survey
from bot.domain import CLOSED_SURVEY_STATUSES, OPEN_SURVEY_STATUSES, SurveyStatus
from bot.settings import Settings
from bot.web import messages
from bot.web.deps import SessionDep, SettingsDep
from bot.web.schemas import BODY_ERRORS, BotMessage, ChatIn, ChatOut, HistoryMessage, HistoryOut
from bot.web.templating import templates
from zhtext.redact import redact

log = logging.getLogger(__name__)
router = APIRouter()
MAX_TOKEN_CHARS = 64
# Failures still answer as bot messages, so the page shows them like any reply.
CHAT_ERRORS: dict[int | str, dict] = {
    404: {"model": ChatOut, "description": "Unknown survey link"},
    503: {"model": ChatOut, "description": "Dialogue engine or database unavailable, or the message was not "
                                           "processed (resend it with the same message_id)"},
    **BODY_ERRORS,
}
_TOKEN = re.compile(rf"[A-Za-z0-9_-]{{1,{MAX_TOKEN_CHARS}}}")  # secrets.token_urlsafe's alphabet


def _retrying(s: Session) -> Retrying:
    """Retries of a database read or write that lost its connection (each attempt rolled back first)."""
    return Retrying(retry=retry_if_exception_type(DBAPIError), stop=stop_after_attempt(4),
                    wait=wait_exponential(multiplier=0.05, max=0.5), reraise=True,
                    before_sleep=lambda _state: _release(s))


def _survey(s: Session, token: str) -> Survey | None:
    """The survey of ``token``; a read that lost its database connection is retried (it changes nothing)."""
    # Anything outside the token alphabet (NUL included, which PostgreSQL refuses) is unknown without a query.
    if not _TOKEN.fullmatch(token):
        return None
    return _retrying(s)(calls.survey_by_token, s, token)


def _release(s: Session) -> None:
    """End the read transaction, handing the connection back to the pool while Rasa works.

    A connection the database dropped meanwhile fails even to roll back: it is
    discarded instead (nothing was written on it).
    """
    try:
        s.close()
    except DBAPIError:
        s.invalidate()


def _busy(exc: DBAPIError) -> JSONResponse:
    log.warning("database unavailable: %s", exc)
    return _reply(ChatOut.say(messages.BUSY), 503)


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


def _ignorable(ch: str) -> bool:
    """Whitespace, invisible format characters (zero-width space, BOM…) and any slash that folds to ``/``."""
    return ch.isspace() or unicodedata.category(ch) == "Cf" or unicodedata.normalize("NFKC", ch) == "/"


def as_plain_text(message: str) -> str:
    """The customer's message as Rasa must read it: text, never an ``/intent`` command.

    Rasa strips the text and treats a leading ``/`` as an intent (``/restart``
    wipes the dialogue state). Every leading run of whitespace, invisible
    characters and slashes (full-width ones included) is cut, so what remains
    starts with neither; a message of nothing else becomes ``?``.
    """
    start = 0
    while start < len(message) and _ignorable(message[start]):
        start += 1
    return message[start:].rstrip() or "?"


def _reply(out: ChatOut, status_code: int = 200) -> JSONResponse:
    return JSONResponse(out.model_dump(), status_code=status_code)


def _not_found() -> JSONResponse:
    return _reply(ChatOut.say(messages.SURVEY_NOT_FOUND), 404)


def _notice(survey: Survey) -> str | None:
    return messages.CLOSED_NOTICES.get(survey.status) if survey.status in CLOSED_SURVEY_STATUSES else None


async def _to_rasa(request: Request, token: str, message: str, *, expects_reply: bool,
                   message_id: str | None = None) -> list[BotMessage] | JSONResponse:
    """The bot's replies from Rasa, or the 503 answer when Rasa is unreachable or the turn was not processed.

    Args:
        request: The incoming request (its app holds the Rasa client).
        token: The survey token (Rasa's sender id).
        message: The text for Rasa, already redacted and made plain.
        expects_reply: Whether the survey is open, so that silence means failure.
        message_id: The page's id of the message, passed as Rasa message metadata.
    """
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
    return [BotMessage(text=m.get("text"), buttons=m.get("buttons") or []) for m in replies if m.get("text")]


def _record(s: Session, settings: Settings, token: str, customer: str | None, said: list[BotMessage],
            sync_optout: bool = True, message_id: str | None = None) -> ChatOut:
    """Store the exchange, put a survey that just opted out on the opt-out list and describe its state.

    Retried when the database connection drops. When it stays down the
    replies are still returned (the turn itself is stored by the action
    server); only this exchange is missing from the transcript.
    """
    try:
        return _retrying(s)(_record_once, s, settings, token, customer, said, sync_optout, message_id)
    except DBAPIError as exc:
        log.error("transcript of %s not stored: %s", token[:6], exc)
        _release(s)
        return ChatOut(messages=said)


def _record_once(s: Session, settings: Settings, token: str, customer: str | None, said: list[BotMessage],
                 sync_optout: bool, message_id: str | None = None) -> ChatOut:
    with s.begin():
        survey = calls.survey_by_token(s, token)
        assert survey is not None, "the token was checked before the exchange"
        s.refresh(survey)  # the action server may have changed it
        if sync_optout and survey.status == SurveyStatus.OPTED_OUT:
            optouts.opt_out(s, survey.call.customer_channel_id, settings.session_secret, calls.utcnow(), survey)
        notice = _notice(survey)
        if not said and notice:
            said = [BotMessage(text=notice)]  # never leave the customer without an answer
        transcripts.append(s, survey, calls.utcnow(), customer=customer,
                           bot=[(m.text or "", m.buttons) for m in said if m.text], message_id=message_id)
        return ChatOut(messages=said, closed=notice is not None, notice=notice)


@router.get("/s/{token}", response_class=HTMLResponse, include_in_schema=False)
def chat_page(request: Request, token: str, s: SessionDep):
    """The chat page of one survey (404 page for an unknown link)."""
    if _survey(s, token) is None:
        return templates.TemplateResponse(request, "not_found.html", status_code=404)
    return templates.TemplateResponse(request, "chat.html",
                                      {"token": token, "max_chars": messages.MAX_MESSAGE_CHARS})


@router.get("/api/chat/{token}/history", response_model=HistoryOut, tags=["chat"],
            responses={404: CHAT_ERRORS[404], 503: {"model": ChatOut, "description": "Database unavailable"}})
def chat_history(token: str, s: SessionDep):
    """The conversation so far (customer messages as stored, redacted) and whether the survey is over."""
    try:
        survey = _survey(s, token)
        if survey is None:
            return _not_found()
        notice = _notice(survey)
        out = HistoryOut(
            messages=[HistoryMessage(sender=m.sender, text=m.text, buttons=m.buttons or [])
                      for m in transcripts.history(s, survey)],
            closed=notice is not None, notice=notice,
            accepts_input=notice is None or survey.status == SurveyStatus.OPTED_OUT)
    except DBAPIError as exc:
        return _busy(exc)
    return JSONResponse(out.model_dump())


def _opening(s: Session, token: str) -> JSONResponse | bool:
    """Before the first Rasa turn: the answer for a conversation that already began, else whether it is open.

    A conversation that already began is never opened again: the bot's last
    turn is returned as it stands (the page shows the history).
    """
    survey = _survey(s, token)
    if survey is None:
        return _not_found()
    notice = _notice(survey)
    if transcripts.has_history(s, survey):
        last = [BotMessage(text=m.text, buttons=m.buttons or []) for m in transcripts.last_bot_turn(s, survey)]
        return _reply(ChatOut(messages=last or ([BotMessage(text=notice)] if notice else []),
                              closed=notice is not None, notice=notice))
    return survey.status in OPEN_SURVEY_STATUSES


@router.post("/api/chat/{token}/start", response_model=ChatOut, tags=["chat"], responses=CHAT_ERRORS)
async def chat_start(request: Request, token: str, s: SessionDep, settings: SettingsDep):
    """Open the conversation: the bot greets and states the scale (once; see :func:`_opening`)."""
    try:
        opening = _opening(s, token)
    except DBAPIError as exc:
        return _busy(exc)
    _release(s)
    if isinstance(opening, JSONResponse):
        return opening
    said = await _to_rasa(request, token, "/start_survey", expects_reply=opening)
    if isinstance(said, JSONResponse):
        return said
    return _reply(_record(s, settings, token, None, said))


def _opted_out_reply(s: Session, settings: Settings, token: str, survey: Survey, message: str) -> JSONResponse:
    """The customer asked for silence; only an explicit opt-in is acted on (Rasa is not asked)."""
    opted_in = optouts.is_opt_in(message) and optouts.opt_in(
        s, survey.call.customer_channel_id, settings.session_secret, calls.utcnow())
    s.commit()
    return _reply(_record(s, settings, token, message, [BotMessage(text=messages.OPTED_BACK_IN)]
                          if opted_in else [], sync_optout=False))


@router.post("/api/chat/{token}", response_model=ChatOut, tags=["chat"], responses=CHAT_ERRORS)
async def chat(request: Request, token: str, body: ChatIn, s: SessionDep, settings: SettingsDep):
    """Relay one customer message to the dialogue engine and return the bot's replies.

    The message goes with its ``message_id`` (Rasa metadata), so a resend of
    a message whose answer was lost is stored once.
    """
    try:
        survey = _survey(s, token)
        if survey is None:
            return _not_found()
        message = body.message.strip()
        if not message:
            return _reply(ChatOut.say(messages.EMPTY_MESSAGE))
        if len(message) > messages.MAX_MESSAGE_CHARS:
            return _reply(ChatOut.say(messages.MESSAGE_TOO_LONG))
        if survey.status == SurveyStatus.OPTED_OUT:
            return _opted_out_reply(s, settings, token, survey, message)
        expects_reply = survey.status in OPEN_SURVEY_STATUSES
    except DBAPIError as exc:
        return _busy(exc)
    _release(s)
    message_id = receipts.clean_message_id(body.message_id)
    replies = await _to_rasa(request, token, as_plain_text(redact(message)), expects_reply=expects_reply,
                             message_id=message_id)
    if isinstance(replies, JSONResponse):
        return replies
    return _reply(_record(s, settings, token, message, replies, message_id=message_id))
