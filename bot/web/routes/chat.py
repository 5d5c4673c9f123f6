"""The customer's chat page, its history and its proxy to Rasa.

The browser never talks to Rasa directly: the proxy checks the survey token,
bounds the message, redacts personal data (Rasa's tracker, its store and its
event broker never see the raw text), makes sure the text cannot be read as a
Rasa command, and uses the token as Rasa's sender id, so one chat link is one
conversation. The proxy also keeps the transcript (customer messages
redacted) so a reloaded page resumes the conversation, keeps the opt-out list
(``bot.services.optouts``) in step with the survey, and answers for a survey
that is over instead of leaving the customer without a reply.
"""
from __future__ import annotations

import logging
import re
import unicodedata

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse
from sqlalchemy.orm import Session

from bot.db.models import Survey
from bot.domain import CLOSED_SURVEY_STATUSES, SurveyStatus
from bot.services import optouts, surveys, transcripts
from bot.settings import Settings
from bot.web import messages
from bot.web.deps import SessionDep, SettingsDep
from bot.web.schemas import BODY_ERRORS, ChatIn, ChatMessage, ChatOut, HistoryMessage, HistoryOut
from bot.web.templating import templates
from zhtext.redact import redact

log = logging.getLogger(__name__)
router = APIRouter()
MAX_TOKEN_CHARS = 64
# Failures still answer as bot messages, so the page shows them like any reply.
CHAT_ERRORS: dict[int | str, dict] = {
    404: {"model": ChatOut, "description": "Unknown survey link"},
    503: {"model": ChatOut, "description": "Dialogue engine unavailable"},
    **BODY_ERRORS,
}
_TOKEN = re.compile(rf"[A-Za-z0-9_-]{{1,{MAX_TOKEN_CHARS}}}")  # secrets.token_urlsafe's alphabet


def _survey(s: Session, token: str) -> Survey | None:
    # Anything outside the token alphabet (NUL included, which PostgreSQL refuses) is unknown without a query.
    return surveys.survey_by_token(s, token) if _TOKEN.fullmatch(token) else None


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


async def _to_rasa(request: Request, token: str, message: str) -> list[ChatMessage] | None:
    """The bot's replies from Rasa, or None when Rasa could not be reached."""
    try:
        r = await request.app.state.rasa.post("/webhooks/rest/webhook", json={"sender": token, "message": message})
        r.raise_for_status()
        replies = r.json()
    except (httpx.HTTPError, ValueError) as exc:
        log.warning("rasa unavailable: %s", exc)
        return None
    return [ChatMessage(text=m.get("text"), buttons=m.get("buttons") or []) for m in replies if m.get("text")]


def _record(s: Session, settings: Settings, token: str, customer: str | None, said: list[ChatMessage],
            sync_optout: bool = True) -> ChatOut:
    """Store the exchange, put a survey that just opted out on the opt-out list and describe its state."""
    with s.begin():
        survey = surveys.survey_by_token(s, token)
        assert survey is not None, "the token was checked before the exchange"
        s.refresh(survey)  # the action server may have changed it
        if sync_optout and survey.status == SurveyStatus.OPTED_OUT:
            optouts.opt_out(s, survey.call.customer_channel_id, settings.session_secret, surveys.utcnow(), survey)
        notice = _notice(survey)
        if not said and notice:
            said = [ChatMessage(text=notice)]  # never leave the customer without an answer
        transcripts.append(s, survey, surveys.utcnow(), customer=customer,
                           bot=[(m.text or "", m.buttons) for m in said if m.text])
        return ChatOut(messages=said, closed=notice is not None, notice=notice)


@router.get("/s/{token}", response_class=HTMLResponse, include_in_schema=False)
def chat_page(request: Request, token: str, s: SessionDep):
    """The chat page of one survey (404 page for an unknown link)."""
    if _survey(s, token) is None:
        return templates.TemplateResponse(request, "not_found.html", status_code=404)
    return templates.TemplateResponse(request, "chat.html",
                                      {"token": token, "max_chars": messages.MAX_MESSAGE_CHARS})


@router.get("/api/chat/{token}/history", response_model=HistoryOut, tags=["chat"])
def chat_history(token: str, s: SessionDep):
    """The conversation so far (customer messages as stored, redacted) and whether the survey is over."""
    survey = _survey(s, token)
    if survey is None:
        return _not_found()
    notice = _notice(survey)
    out = HistoryOut(
        messages=[HistoryMessage(sender=m.sender, text=m.text, buttons=m.buttons or [])
                  for m in transcripts.history(s, survey)],
        closed=notice is not None, notice=notice,
        accepts_input=notice is None or survey.status == SurveyStatus.OPTED_OUT)
    return JSONResponse(out.model_dump())


@router.post("/api/chat/{token}/start", response_model=ChatOut, tags=["chat"], responses=CHAT_ERRORS)
async def chat_start(request: Request, token: str, s: SessionDep, settings: SettingsDep):
    """Open the conversation: the bot greets and states the scale.

    A conversation that already began is never opened again: the bot's last
    turn is returned as it stands (the page shows the history).
    """
    survey = _survey(s, token)
    if survey is None:
        return _not_found()
    if transcripts.has_history(s, survey):
        last = [ChatMessage(text=m.text, buttons=m.buttons or []) for m in transcripts.last_bot_turn(s, survey)]
        notice = _notice(survey)
        s.rollback()
        return _reply(ChatOut(messages=last or ([ChatMessage(text=notice)] if notice else []),
                              closed=notice is not None, notice=notice))
    s.rollback()
    said = await _to_rasa(request, token, "/start_survey")
    if said is None:
        return _reply(ChatOut.say(messages.BUSY), 503)
    return _reply(_record(s, settings, token, None, said))


@router.post("/api/chat/{token}", response_model=ChatOut, tags=["chat"], responses=CHAT_ERRORS)
async def chat(request: Request, token: str, body: ChatIn, s: SessionDep, settings: SettingsDep):
    """Relay one customer message to the dialogue engine and return the bot's replies."""
    survey = _survey(s, token)
    if survey is None:
        return _not_found()
    message = body.message.strip()
    if not message:
        return _reply(ChatOut.say(messages.EMPTY_MESSAGE))
    if len(message) > messages.MAX_MESSAGE_CHARS:
        return _reply(ChatOut.say(messages.MESSAGE_TOO_LONG))
    if survey.status == SurveyStatus.OPTED_OUT:
        # The customer asked for silence; only an explicit opt-in is acted on.
        opted_in = optouts.is_opt_in(message) and optouts.opt_in(
            s, survey.call.customer_channel_id, settings.session_secret, surveys.utcnow())
        s.commit()
        return _reply(_record(s, settings, token, message, [ChatMessage(text=messages.OPTED_BACK_IN)]
                              if opted_in else [], sync_optout=False))
    s.rollback()
    replies = await _to_rasa(request, token, as_plain_text(redact(message)))
    if replies is None:
        return _reply(ChatOut.say(messages.BUSY), 503)
    return _reply(_record(s, settings, token, body.message.strip(), replies))
