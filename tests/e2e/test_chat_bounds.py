"""Bounds of the chat through the real stack, on SQLite and PostgreSQL: a closed survey's transcript stops growing,
and a survey flooded with messages is answered 429 without asking the dialogue."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.conversation.transcripts import MAX_CLOSED_TRANSCRIPT
from bot.db.chat import ChatMessage
from bot.db.models import Survey

pytestmark = [pytest.mark.e2e]


def _transcript(live, token: str) -> int:
    with Session(live.engine) as s:
        sid = s.scalar(select(Survey.id).where(Survey.token == token))
        return s.scalar(select(func.count()).select_from(ChatMessage).where(ChatMessage.survey_id == sid))


def test_a_closed_surveys_transcript_stops_growing_and_a_flood_is_refused(live):
    token = live.new_survey()
    live.start(token)
    live.say(token, "5")  # completed
    codes = []
    for n in range(45):
        r = live.http.post(f"/api/chat/{token}", json={"message": "还在吗？" * 200, "message_id": f"flood-{n}"})
        codes.append(r.status_code)
    assert set(codes) <= {200, 429} and 429 in codes  # 30 a minute per survey, then "too fast"
    assert _transcript(live, token) <= MAX_CLOSED_TRANSCRIPT
    refused = next(r for r in [live.http.post(f"/api/chat/{token}", json={"message": "你好"})] if r.status_code == 429)
    assert "太快" in refused.json()["messages"][0]["text"]
