"""The web app without Rasa: integration API validation, OpenAPI, chat proxy failure modes."""
from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from bot.ops.stack import free_port
from bot.settings import DEV_INTEGRATION_TOKEN, Settings
from bot.web.app import create_app

AUTH = {"Authorization": f"Bearer {DEV_INTEGRATION_TOKEN}"}


@pytest.fixture()
def client(db_url):
    # Rasa deliberately absent: nothing listens on this port.
    settings = Settings(database_url=db_url, rasa_url=f"http://127.0.0.1:{free_port()}")
    with TestClient(create_app(settings)) as c:
        yield c


@pytest.mark.parametrize("body", [
    {"agent_ids": ["A1"], "ended_at": "2026-11-23T08:00:00+08:00"},
    {"call_id": "c", "agent_ids": [], "ended_at": "2026-11-23T08:00:00+08:00"},
    {"call_id": "c", "agent_ids": ["A1"], "ended_at": "2026-11-23T08:00:00"},
    {"call_id": "c", "agent_ids": ["A1"], "ended_at": "yesterday"},
    {"call_id": "", "agent_ids": ["A1"], "ended_at": "2026-11-23T08:00:00Z"},
])
def test_malformed_calls_are_rejected_with_422(client, body):
    assert client.post("/api/calls", json=body, headers=AUTH).status_code == 422


def test_missing_token_is_401(client):
    r = client.post("/api/calls", json={"call_id": "c", "agent_ids": ["A1"], "ended_at": "2026-11-23T08:00:00Z"})
    assert r.status_code == 401


def test_openapi_documents_the_call_api(client):
    spec = client.get("/openapi.json").json()
    op = spec["paths"]["/api/calls"]["post"]
    assert {"201", "200", "401", "409"} <= set(op["responses"])
    assert "call_id" in spec["components"]["schemas"]["CallIn"]["properties"]


def test_chat_when_rasa_is_down_answers_in_chinese(client):
    r = client.post("/api/calls", json={"call_id": "c-down", "agent_ids": ["A1"],
                                        "ended_at": "2026-11-23T08:00:00Z"}, headers=AUTH)
    token = r.json()["survey_token"]
    assert client.get(f"/s/{token}").status_code == 200
    down = client.post(f"/api/chat/{token}", json={"message": "5"})
    assert down.status_code == 503
    assert "稍后" in down.json()["messages"][0]["text"]
