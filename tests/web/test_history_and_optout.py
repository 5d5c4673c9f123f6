"""Chat history, the closed state and the opt-out list through the web app (Rasa absent, real databases)."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from bot.conversation import calls, optouts, transcripts
from bot.db.chat import ChatMessage, OptOut
from bot.db.session import open_session
from bot.domain import SurveyStatus
from bot.ops.stack import free_port
from bot.settings import DEV_INTEGRATION_TOKEN, DEV_SESSION_SECRET, Settings
from bot.web import messages
from bot.web.app import create_app
from tests import rows

AUTH = {"Authorization": f"Bearer {DEV_INTEGRATION_TOKEN}"}
NOW = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)


@pytest.fixture()
def client(db_url):
    settings = Settings(database_url=db_url, rasa_url=f"http://127.0.0.1:{free_port()}")
    with TestClient(create_app(settings)) as c:
        c.db_url = db_url
        yield c


def _call(client, call_id: str, channel: str | None = "wx-alice") -> dict:
    body = {"call_id": call_id, "agent_ids": ["A1"], "ended_at": "2026-11-30T09:55:00+08:00"}
    if channel:
        body["customer_channel_id"] = channel
    r = client.post("/api/calls", json=body, headers=AUTH)
    assert r.status_code in (200, 201), r.text
    return r.json()


def _set(client, token: str, status: SurveyStatus, said: list[tuple[str, str]]) -> None:
    with open_session(client.db_url) as s, s.begin():
        survey = calls.survey_by_token(s, token)
        for sender, text in said:
            transcripts.append(s, survey, NOW, **({"customer": text} if sender == "customer" else
                                                  {"bot": [(text, [])]}))
        rows.set_status(s, survey, status, NOW)
        if status == SurveyStatus.OPTED_OUT:
            optouts.opt_out(s, survey.call.customer_channel_id, DEV_SESSION_SECRET, NOW, survey.id)


def test_a_new_survey_has_no_history(client):
    token = _call(client, "h-1")["survey_token"]
    r = client.get(f"/api/chat/{token}/history")
    assert r.status_code == 200
    assert r.json() == {"messages": [], "closed": False, "notice": None, "accepts_input": True}


def test_history_is_served_in_order_and_customer_text_is_redacted(client):
    token = _call(client, "h-2")["survey_token"]
    _set(client, token, SurveyStatus.IN_PROGRESS,
         [("bot", "请回复1-5"), ("customer", "2 打我手机13812345678没人接"), ("bot", "方便说说原因吗？")])
    body = client.get(f"/api/chat/{token}/history").json()
    assert [m["sender"] for m in body["messages"]] == ["bot", "customer", "bot"]
    assert "13812345678" not in body["messages"][1]["text"]
    assert body["closed"] is False and body["accepts_input"] is True


def test_start_with_history_never_reopens_the_survey(client):
    token = _call(client, "h-3")["survey_token"]
    _set(client, token, SurveyStatus.IN_PROGRESS, [("bot", "请回复1-5"), ("customer", "2"), ("bot", "哪里不满意？")])
    r = client.post(f"/api/chat/{token}/start")  # Rasa is down: only the stored turn can answer
    assert r.status_code == 200
    assert [m["text"] for m in r.json()["messages"]] == ["哪里不满意？"]
    with open_session(client.db_url) as s:
        assert calls.survey_by_token(s, token).status == SurveyStatus.IN_PROGRESS


def test_a_completed_survey_shows_a_closed_notice_and_no_input(client):
    token = _call(client, "h-4")["survey_token"]
    _set(client, token, SurveyStatus.COMPLETED, [("bot", "请回复1-5"), ("customer", "5"), ("bot", "感谢您的认可！")])
    body = client.get(f"/api/chat/{token}/history").json()
    assert body["closed"] is True and body["accepts_input"] is False
    assert body["notice"] == messages.CLOSED_NOTICES["completed"]


def test_an_opted_out_channel_gets_no_new_survey(client):
    first = _call(client, "o-1", channel="sms:13900001111")
    _set(client, first["survey_token"], SurveyStatus.OPTED_OUT, [("customer", "TD")])
    r = client.post("/api/calls", json={"call_id": "o-2", "agent_ids": ["A1"], "ended_at": "2026-11-30T10:00:00Z",
                                        "customer_channel_id": "sms:13900001111"}, headers=AUTH)
    assert r.status_code == 200
    assert r.json() == {"call_id": "o-2", "survey_token": None, "chat_url": None, "expires_at": None,
                        "created": False, "opted_out": True}
    other = _call(client, "o-3", channel="sms:13900002222")
    assert other["opted_out"] is False and other["chat_url"].endswith(other["survey_token"])
    with open_session(client.db_url) as s:
        stored = [row.channel_hash for row in s.scalars(select(OptOut))]
    assert stored and all("13900001111" not in h and len(h) == 64 for h in stored)  # only the HMAC is kept


def test_return_to_an_opted_out_survey_shows_history_and_answers(client):
    token = _call(client, "o-4", channel="wx-bob")["survey_token"]
    _set(client, token, SurveyStatus.OPTED_OUT, [("bot", "请回复1-5"), ("customer", "别发了"), ("bot", "已为您退订")])
    body = client.get(f"/api/chat/{token}/history").json()
    assert len(body["messages"]) == 3 and body["notice"] == messages.CLOSED_NOTICES["opted_out"]
    r = client.post(f"/api/chat/{token}", json={"message": "你好"})
    assert r.status_code == 200 and r.json()["messages"][0]["text"] == messages.CLOSED_NOTICES["opted_out"]


def test_customer_opts_back_in_from_the_closed_survey(client):
    token = _call(client, "o-5", channel="wx-carol")["survey_token"]
    _set(client, token, SurveyStatus.OPTED_OUT, [("customer", "退订")])
    assert _call(client, "o-6", channel="wx-carol")["opted_out"] is True
    r = client.post(f"/api/chat/{token}", json={"message": "重新订阅"})
    assert r.json()["messages"][0]["text"] == messages.OPTED_BACK_IN
    again = _call(client, "o-7", channel="wx-carol")
    assert again["opted_out"] is False and again["chat_url"]
    with open_session(client.db_url) as s:
        texts = [m.text for m in s.scalars(select(ChatMessage).order_by(ChatMessage.id))]
    assert texts[-2:] == ["重新订阅", messages.OPTED_BACK_IN]


def test_integration_can_opt_a_channel_back_in(client):
    token = _call(client, "o-8", channel="app-dave")["survey_token"]
    _set(client, token, SurveyStatus.OPTED_OUT, [])
    assert client.delete("/api/opt-outs/app-dave").status_code == 401
    assert client.delete("/api/opt-outs/app-dave", headers=AUTH).status_code == 204
    assert client.delete("/api/opt-outs/app-dave", headers=AUTH).status_code == 404
    assert _call(client, "o-9", channel="app-dave")["opted_out"] is False


def test_openapi_documents_the_opted_out_answer(client):
    spec = client.get("/openapi.json").json()
    props = spec["components"]["schemas"]["SurveyOut"]["properties"]
    assert "opted_out" in props and "send nothing" in spec["paths"]["/api/calls"]["post"]["responses"]["200"][
        "description"]
    assert "/api/chat/{token}/history" in spec["paths"] and "/api/opt-outs/{customer_channel_id}" in spec["paths"]
