"""A running product stack plus helpers to talk to it and read what it stored (used by e2e and browser tests)."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.db.connection import make_engine
from bot.db.models import AuditLog, Flag, Rating, Reason, Survey
from bot.ops.stack import Stack
from bot.settings import DEV_INTEGRATION_TOKEN


@dataclass
class Live:
    """A running stack plus helpers to talk to it and read what it stored."""

    stack: Stack

    def __post_init__(self) -> None:
        self._ended_at: dict[str, str] = {}
        self.http = httpx.Client(base_url=self.stack.web_url, timeout=60)
        self.engine = make_engine(self.stack.database_url)

    def post_call(self, call_id: str | None = None, agents: list[str] | None = None, **extra) -> httpx.Response:
        call_id = call_id or f"call-{uuid.uuid4().hex[:10]}"
        # A repeat of a call id repeats its end time: a different ended_at is a conflict (409).
        ended_at = self._ended_at.setdefault(call_id, datetime.now(UTC).isoformat())
        body = {"call_id": call_id, "agent_ids": agents or ["A100"], "ended_at": ended_at, **extra}
        return self.http.post("/api/calls", json=body,
                              headers={"Authorization": f"Bearer {DEV_INTEGRATION_TOKEN}"})

    def new_survey(self, **kw) -> str:
        r = self.post_call(**kw)
        assert r.status_code == 201, r.text
        return r.json()["survey_token"]

    def start(self, token: str) -> list[str]:
        r = self.http.post(f"/api/chat/{token}/start")
        assert r.status_code == 200, r.text
        return [m["text"] for m in r.json()["messages"]]

    def say(self, token: str, text: str) -> list[str]:
        r = self.http.post(f"/api/chat/{token}", json={"message": text})
        assert r.status_code == 200, r.text
        return [m["text"] for m in r.json()["messages"]]

    def rasa_api(self, method: str, path: str, **kw) -> httpx.Response:
        """A call to Rasa's HTTP API with its token (the stack's API is token-protected)."""
        return self.http.request(method, f"{self.stack.rasa_url}{path}",
                                 params={"token": self.stack.rasa_api_token}, **kw)

    def survey(self, token: str) -> Survey:
        with Session(self.engine) as s:
            survey = s.scalar(select(Survey).where(Survey.token == token))
            survey.ratings  # noqa: B018 - load while the session is open
            for r in survey.ratings:
                r.reasons  # noqa: B018
            return survey

    def ratings(self, token: str) -> list[Rating]:
        return list(self.survey(token).ratings)

    def reasons(self, token: str) -> list[Reason]:
        return [reason for rating in self.ratings(token) for reason in rating.reasons]

    def flags(self, token: str) -> list[Flag]:
        with Session(self.engine) as s:
            sid = s.scalar(select(Survey.id).where(Survey.token == token))
            return list(s.scalars(select(Flag).where(Flag.survey_id == sid)))

    def audit(self, entity: str, entity_id) -> list[AuditLog]:
        with Session(self.engine) as s:
            return list(s.scalars(select(AuditLog).where(AuditLog.entity == entity,
                                                         AuditLog.entity_id == str(entity_id))
                                  .order_by(AuditLog.id)))

    def expire(self, token: str) -> None:
        """Move a survey's window into the past (test set-up, not product behaviour)."""
        with Session(self.engine) as s, s.begin():
            survey = s.scalar(select(Survey).where(Survey.token == token))
            survey.expires_at = datetime(2000, 1, 1, tzinfo=UTC)

    def close(self) -> None:
        self.http.close()
        self.engine.dispose()


