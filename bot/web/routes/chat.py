"""The customer's chat page and its proxy to Rasa.

The browser never talks to Rasa directly: the proxy checks the survey token,
bounds the message, redacts personal data (Rasa's tracker, its store and its
event broker never see the raw text), makes sure the text cannot be read as a
Rasa command, and uses the token as Rasa's sender id, so one chat link is one
conversation.
"""
from __future__ import annotations

import logging
import re
import unicodedata

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse
from sqlalchemy.orm import Session

from bot.services import surveys
from bot.web import messages
from bot.web.deps import SessionDep
from bot.web.schemas import BODY_ERRORS, ChatIn, ChatMessage, ChatOut
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


def _known(s: Session, token: str) -> bool:
    # Anything outside the token alphabet (NUL included, which PostgreSQL refuses) is unknown without a query.
    return _TOKEN.fullmatch(token) is not None and surveys.survey_by_token(s, token) is not None


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


async def _to_rasa(request: Request, token: str, message: str) -> JSONResponse:
    try:
        r = await request.app.state.rasa.post("/webhooks/rest/webhook", json={"sender": token, "message": message})
        r.raise_for_status()
        replies = r.json()
    except (httpx.HTTPError, ValueError) as exc:
        log.warning("rasa unavailable: %s", exc)
        return _reply(ChatOut.say(messages.BUSY), 503)
    return _reply(ChatOut(messages=[ChatMessage(text=m.get("text"), buttons=m.get("buttons") or [])
                                    for m in replies if m.get("text")]))


@router.get("/s/{token}", response_class=HTMLResponse, include_in_schema=False)
def chat_page(request: Request, token: str, s: SessionDep):
    """The chat page of one survey (404 page for an unknown link)."""
    if not _known(s, token):
        return templates.TemplateResponse(request, "not_found.html", status_code=404)
    return templates.TemplateResponse(request, "chat.html", {"token": token})


@router.post("/api/chat/{token}/start", response_model=ChatOut, tags=["chat"], responses=CHAT_ERRORS)
async def chat_start(request: Request, token: str, s: SessionDep):
    """Open the conversation: the bot greets and states the scale."""
    if not _known(s, token):
        return _not_found()
    return await _to_rasa(request, token, "/start_survey")


@router.post("/api/chat/{token}", response_model=ChatOut, tags=["chat"], responses=CHAT_ERRORS)
async def chat(request: Request, token: str, body: ChatIn, s: SessionDep):
    """Relay one customer message to the dialogue engine and return the bot's replies."""
    if not _known(s, token):
        return _not_found()
    message = body.message.strip()
    if not message:
        return _reply(ChatOut.say(messages.EMPTY_MESSAGE))
    if len(message) > messages.MAX_MESSAGE_CHARS:
        return _reply(ChatOut.say(messages.MESSAGE_TOO_LONG))
    return await _to_rasa(request, token, as_plain_text(redact(message)))
