"""FastAPI application: integration API, customer chat page and chat proxy.

The browser never talks to Rasa directly: the proxy checks the survey token,
bounds the message and uses the token as Rasa's sender id, so one chat link
is one conversation.
"""
from __future__ import annotations

import hmac
import logging
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Annotated

import httpx
from fastapi import Depends, FastAPI, Header, HTTPException, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, Field, field_validator
from sqlalchemy.orm import Session

from bot import surveys
from bot.db.engine import engine_for
from bot.settings import Settings

log = logging.getLogger(__name__)
HERE = Path(__file__).resolve().parent
MAX_MESSAGE_CHARS = 1000
BUSY = "抱歉，系统暂时有点忙，请稍后再试。"
NOT_FOUND_TEXT = "抱歉，没有找到这次评价，链接可能已失效。"


class CallIn(BaseModel):
    """A call that has just ended."""

    call_id: str = Field(min_length=1, max_length=128, description="The telephony system's call id (idempotency key)")
    agent_ids: list[Annotated[str, Field(min_length=1, max_length=64)]] = Field(
        min_length=1, max_length=20, description="Every agent on the call, in order; the last one is credited")
    ended_at: datetime = Field(description="When the call ended (ISO 8601 with time zone)")
    customer_channel_id: str | None = Field(default=None, max_length=128,
                                               description="Where to send the survey link (e.g. a messaging id)")
    credited_agent_id: str | None = Field(default=None, max_length=64,
                                             description="Override of the credited agent; must be one of agent_ids")

    @field_validator("ended_at")
    @classmethod
    def _aware(cls, v: datetime) -> datetime:
        if v.tzinfo is None:
            raise ValueError("ended_at needs a time zone, e.g. 2026-11-23T09:00:00+08:00")
        return v


class SurveyOut(BaseModel):
    """The survey opened for a call."""

    call_id: str
    survey_token: str
    chat_url: str
    expires_at: datetime
    created: bool = Field(description="False when the call was already registered (idempotent repeat)")


class ChatIn(BaseModel):
    message: str = Field(default="", max_length=20000)


class ChatMessage(BaseModel):
    text: str | None = None
    buttons: list[dict] = Field(default_factory=list)


class ChatOut(BaseModel):
    messages: list[ChatMessage]


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the web application.

    Args:
        settings: Configuration; read from the environment when omitted.
    """
    settings = settings or Settings.from_env()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.rasa = httpx.AsyncClient(base_url=settings.rasa_url, timeout=30.0)
        yield
        await app.state.rasa.aclose()

    app = FastAPI(
        title="Post-call feedback bot",
        version="0.1.0",
        description="Opens a Chinese post-call survey for each ended call and serves its chat.",
        lifespan=lifespan,
    )
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    templates = Jinja2Templates(directory=HERE / "templates")

    def db() -> Session:
        with Session(engine_for(settings.database_url), expire_on_commit=False) as s:
            yield s

    def integration_auth(authorization: Annotated[str | None, Header()] = None) -> None:
        expected = f"Bearer {settings.integration_token}"
        if not authorization or not hmac.compare_digest(authorization.encode(), expected.encode()):
            raise HTTPException(status_code=401, detail="invalid or missing integration token",
                                headers={"WWW-Authenticate": "Bearer"})

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict:
        return {"ok": True}

    @app.post("/api/calls", response_model=SurveyOut, status_code=201, tags=["integration"],
              dependencies=[Depends(integration_auth)],
              responses={200: {"model": SurveyOut, "description": "Call already registered"},
                         401: {"description": "Bad integration token"},
                         409: {"description": "Call id known with different agents"}})
    def call_ended(body: CallIn, response: Response, s: Session = Depends(db)) -> SurveyOut:
        """Register an ended call and return its survey's chat link. Idempotent on ``call_id``."""
        req = surveys.CallRequest(call_id=body.call_id, agent_ids=body.agent_ids, ended_at=body.ended_at,
                                  customer_channel_id=body.customer_channel_id,
                                  credited_agent_id=body.credited_agent_id)
        try:
            with s.begin():
                survey, created = surveys.register_call(
                    s, req, window_minutes=settings.survey_window_minutes,
                    template_version=settings.greeting_version)
                out = SurveyOut(call_id=body.call_id, survey_token=survey.token,
                                chat_url=f"{settings.public_base_url}/s/{survey.token}",
                                expires_at=surveys.as_utc(survey.expires_at), created=created)
        except surveys.CallConflict as exc:
            raise HTTPException(status_code=409, detail=str(exc)) from exc
        response.status_code = 201 if created else 200
        return out

    @app.get("/s/{token}", response_class=HTMLResponse, include_in_schema=False)
    def chat_page(request: Request, token: str, s: Session = Depends(db)):
        survey = surveys.survey_by_token(s, token) if len(token) <= 64 else None
        if survey is None:
            return templates.TemplateResponse(request, "not_found.html", status_code=404)
        return templates.TemplateResponse(request, "chat.html", {"token": token})

    async def to_rasa(request: Request, token: str, message: str) -> JSONResponse:
        try:
            r = await request.app.state.rasa.post("/webhooks/rest/webhook",
                                                  json={"sender": token, "message": message})
            r.raise_for_status()
            replies = r.json()
        except (httpx.HTTPError, ValueError) as exc:
            log.warning("rasa unavailable: %s", exc)
            return JSONResponse({"messages": [{"text": BUSY, "buttons": []}]}, status_code=503)
        msgs = [{"text": m.get("text"), "buttons": m.get("buttons") or []} for m in replies if m.get("text")]
        return JSONResponse({"messages": msgs})

    def not_found() -> JSONResponse:
        return JSONResponse({"messages": [{"text": NOT_FOUND_TEXT, "buttons": []}]}, status_code=404)

    def known(s: Session, token: str) -> bool:
        return len(token) <= 64 and surveys.survey_by_token(s, token) is not None

    @app.post("/api/chat/{token}/start", response_model=ChatOut, tags=["chat"])
    async def chat_start(request: Request, token: str, s: Session = Depends(db)):
        """Open the conversation: the bot greets and states the scale."""
        if not known(s, token):
            return not_found()
        return await to_rasa(request, token, "/start_survey")

    @app.post("/api/chat/{token}", response_model=ChatOut, tags=["chat"])
    async def chat(request: Request, token: str, body: ChatIn, s: Session = Depends(db)):
        """Relay one customer message to the dialogue engine and return the bot's replies."""
        if not known(s, token):
            return not_found()
        message = body.message.strip()
        if not message:
            return JSONResponse({"messages": [{"text": "请输入内容后再发送哦。", "buttons": []}]})
        if len(message) > MAX_MESSAGE_CHARS:
            return JSONResponse({"messages": [{"text": f"您的消息太长了，请精简到{MAX_MESSAGE_CHARS}字以内再发送。",
                                               "buttons": []}]})
        if message.startswith("/"):
            # A leading slash would be read by Rasa as an intent command.
            message = message.lstrip("/") or "?"
        return await to_rasa(request, token, message)

    return app
