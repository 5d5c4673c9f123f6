"""The web chat channel: the customer's chat page, its history, and its messages, over HTTP.

Everything about the conversation itself (finding the survey, bounds,
redaction, the Rasa call and its failure rules, the transcript, the closed
notice, opt-out and opt-in) is the channel-neutral gateway's
(``bot.conversation.gateway``); this module maps its verdicts to HTTP: 404 for
an unknown link, 503 when the message was not processed (the page keeps the
text and resends it with the same message id, stored once), 429 when the
customer sends too fast.
"""
from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse
from sqlalchemy.exc import DBAPIError

from bot.conversation import notices
from bot.conversation.gateway import Gateway, Reply, Verdict, notice_for
from bot.domain import SurveyStatus
from bot.web.schemas import BODY_ERRORS, BotMessage, ChatIn, ChatOut, HistoryMessage, HistoryOut
from bot.web.templating import templates

router = APIRouter()
# Failures still answer as bot messages, so the page shows them like any reply.
CHAT_ERRORS: dict[int | str, dict] = {
    404: {"model": ChatOut, "description": "Unknown survey link"},
    429: {"model": ChatOut, "description": "Too many messages in a short time: wait and send again"},
    503: {"model": ChatOut, "description": "Dialogue engine or database unavailable, or the message was not "
                                           "processed (resend it with the same message_id)"},
    **BODY_ERRORS,
}
_STATUS = {Verdict.OK: 200, Verdict.REFUSED: 200, Verdict.NOT_FOUND: 404, Verdict.TOO_FAST: 429, Verdict.BUSY: 503,
           Verdict.RESEND: 503}


def _gateway(request: Request) -> Gateway:
    return request.app.state.gateway


def _answer(reply: Reply) -> JSONResponse:
    out = ChatOut(messages=[BotMessage(text=line.text, buttons=line.buttons) for line in reply.lines],
                  closed=reply.closed, notice=reply.notice)
    return JSONResponse(out.model_dump(), status_code=_STATUS[reply.verdict])


@router.get("/s/{token}", response_class=HTMLResponse, include_in_schema=False)
def chat_page(request: Request, token: str):
    """The chat page of one survey (404 page for an unknown link)."""
    try:
        survey = _gateway(request).survey(token)
    except DBAPIError:
        survey = None
    if survey is None:
        return templates.TemplateResponse(request, "not_found.html", status_code=404)
    return templates.TemplateResponse(request, "chat.html",
                                      {"token": token, "max_chars": notices.MAX_MESSAGE_CHARS})


@router.get("/api/chat/{token}/history", response_model=HistoryOut, tags=["chat"],
            responses={404: CHAT_ERRORS[404], 503: {"model": ChatOut, "description": "Database unavailable"}})
def chat_history(request: Request, token: str):
    """The conversation so far (customer messages as stored, redacted) and whether the survey is over."""
    try:
        found = _gateway(request).history(token)
    except DBAPIError:
        return _answer(Reply.say(Verdict.BUSY, notices.BUSY))
    if found is None:
        return _answer(Reply.say(Verdict.NOT_FOUND, notices.SURVEY_NOT_FOUND))
    survey, messages = found
    notice = notice_for(survey.status)
    out = HistoryOut(messages=[HistoryMessage(sender=m.sender, text=m.text, buttons=m.buttons or []) for m in messages],
                     closed=notice is not None, notice=notice,
                     accepts_input=notice is None or survey.status == SurveyStatus.OPTED_OUT)
    return JSONResponse(out.model_dump())


@router.post("/api/chat/{token}/start", response_model=ChatOut, tags=["chat"], responses=CHAT_ERRORS)
async def chat_start(request: Request, token: str):
    """Open the conversation: the bot greets and states the scale (once; a reload shows where it stands)."""
    return _answer(await _gateway(request).open(token))


@router.post("/api/chat/{token}", response_model=ChatOut, tags=["chat"], responses=CHAT_ERRORS)
async def chat(request: Request, token: str, body: ChatIn):
    """Relay one customer message to the dialogue and return the bot's replies.

    The message goes with its ``message_id``, so a resend of a message whose
    answer was lost is stored once.
    """
    address = request.client.host if request.client else None
    return _answer(await _gateway(request).message(token, body.message, body.message_id, address=address))
