"""Hostile input and silent accepts at the web app, against the real servers.

Runs on SQLite and PostgreSQL (the ``live`` fixture): on PostgreSQL a NUL
byte reached the database and gave a 500 before.
"""
from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from bot.settings import DEV_INTEGRATION_TOKEN

pytestmark = pytest.mark.e2e

AUTH = {"Authorization": f"Bearer {DEV_INTEGRATION_TOKEN}", "Content-Type": "application/json"}
ENDED = "2026-11-23T08:00:00+08:00"


def _new_id() -> str:
    return f"sec-{uuid.uuid4().hex[:10]}"


def _assert_error_shape(r, status: int) -> None:
    assert r.status_code == status, (r.status_code, r.text[:300])
    body = r.json()
    assert set(body) == {"detail"}
    if status == 422:
        assert body["detail"] and all({"type", "loc", "msg"} == set(e) for e in body["detail"]), body


# --- finding 4: input that broke the validation handler or the database --------------

# Raw JSON text: json.dumps cannot even write these (NaN, Infinity, a lone surrogate escape).
HOSTILE_BODIES = [body.replace("@E", ENDED) for body in [
    '{"call_id": NaN, "agent_ids": ["A1"], "ended_at": "@E"}',
    '{"call_id": "c", "agent_ids": ["A1"], "ended_at": Infinity}',
    '{"call_id": "c", "agent_ids": [-Infinity], "ended_at": "@E"}',
    '{"call_id": "\\ud800", "agent_ids": ["A1"], "ended_at": "@E"}',
    '{"call_id": "c", "agent_ids": ["\\udfff"], "ended_at": "@E"}',
    '{"call_id": "c", "agent_ids": ["A1"], "ended_at": "@E", "credited_agent_id": "\\udfff"}',
    '{"call_id": "c", "agent_ids": ["A1"], "ended_at": "@E", "customer_channel_id": "\\ud83d"}',
]]


@pytest.mark.parametrize("body", HOSTILE_BODIES)
def test_nan_infinity_and_lone_surrogates_are_422_in_the_error_shape(live, body):
    r = live.http.post("/api/calls", content=body.replace('"c"', f'"{_new_id()}"'), headers=AUTH)
    _assert_error_shape(r, 422)


@pytest.mark.parametrize("field", ["call_id", "agent_ids", "customer_channel_id", "credited_agent_id"])
def test_nul_in_any_text_field_is_422_and_nothing_is_stored(live, field):
    call_id = _new_id()
    body = {"call_id": call_id, "agent_ids": ["A1"], "ended_at": ENDED}
    body[field] = ["A\x001"] if field == "agent_ids" else f"{call_id}\x00x"
    r = live.http.post("/api/calls", json=body, headers=AUTH)
    _assert_error_shape(r, 422)
    assert live.post_call(call_id=call_id, agents=["A1"]).status_code == 201  # nothing half-written before


def test_nul_and_surrogates_in_a_chat_message_are_422_and_the_survey_goes_on(live):
    token = live.new_survey()
    live.start(token)
    for raw in ('{"message": "2\\u0000"}', '{"message": "2\\ud800"}', '{"message": NaN}'):
        r = live.http.post(f"/api/chat/{token}", content=raw, headers={"Content-Type": "application/json"})
        _assert_error_shape(r, 422)
    assert live.ratings(token) == []
    live.say(token, "5")
    assert [r.score for r in live.ratings(token)] == [5]


@pytest.mark.parametrize("path", ["/s/abc%00def", "/s/%ED%A0%80", "/api/chat/abc%00/start"])
def test_nul_or_bad_utf8_in_a_survey_link_is_not_found(live, path):
    method = live.http.get if path.startswith("/s/") else live.http.post
    assert method(path).status_code == 404


def test_bodies_above_64_kib_are_413_declared_or_streamed(live):
    big = b'{"call_id": "' + b"x" * (10 * 1024 * 1024) + b'"}'
    _assert_error_shape(live.http.post("/api/calls", content=big, headers=AUTH), 413)

    def chunks():
        for _ in range(200):
            yield b"y" * 1024

    r = live.http.post("/api/calls", content=chunks(), headers=AUTH)  # no Content-Length: chunked
    _assert_error_shape(r, 413)
    token = live.new_survey()
    r = live.http.post(f"/api/chat/{token}", json={"message": "好" * 30000})
    _assert_error_shape(r, 413)


# --- finding 7: silent accepts -------------------------------------------------------


@pytest.mark.parametrize("field,change", [
    ("ended_at", {"ended_at": "2026-11-23T09:30:00+08:00"}),
    ("agent_ids", {"agent_ids": ["A1", "A3", "A2"]}),
    ("credited_agent_id", {"agent_ids": ["A1", "A2"], "credited_agent_id": "A1"}),
    ("customer_channel_id", {"customer_channel_id": "wx-other"}),
])
def test_a_repeated_call_id_with_different_details_is_409_naming_the_field(live, field, change):
    call_id = _new_id()
    first = {"call_id": call_id, "agent_ids": ["A1", "A2"], "ended_at": ENDED, "customer_channel_id": "wx-1"}
    assert live.http.post("/api/calls", json=first, headers=AUTH).status_code == 201
    # The same moment in another zone is the same call: 200, not a conflict.
    same = {**first, "ended_at": "2026-11-23T00:00:00Z"}
    assert live.http.post("/api/calls", json=same, headers=AUTH).status_code == 200
    r = live.http.post("/api/calls", json={**first, **change}, headers=AUTH)
    _assert_error_shape(r, 409)
    assert field in r.json()["detail"]


def test_ids_are_stripped_and_blank_ids_refused(live):
    call_id = _new_id()
    r = live.http.post("/api/calls", json={"call_id": f"  {call_id}\t", "agent_ids": [" A7 "], "ended_at": ENDED},
                       headers=AUTH)
    assert r.status_code == 201 and r.json()["call_id"] == call_id
    again = live.http.post("/api/calls", json={"call_id": call_id, "agent_ids": ["A7"], "ended_at": ENDED},
                           headers=AUTH)
    assert again.status_code == 200 and again.json()["survey_token"] == r.json()["survey_token"]
    for blank in ({"call_id": "   "}, {"call_id": "\t\n"}, {"agent_ids": ["  "]}, {"agent_ids": ["A1", ""]},
                  {"credited_agent_id": " "}, {"customer_channel_id": "  "}):
        body = {"call_id": _new_id(), "agent_ids": ["A1"], "ended_at": ENDED, **blank}
        _assert_error_shape(live.http.post("/api/calls", json=body, headers=AUTH), 422)


@pytest.mark.parametrize("ended_at", [
    1732345200, 1732345200.5, True, "0001-01-01T00:00:00+08:00", "1999-12-31T23:59:59Z", "9999-12-31T23:59:59Z",
    "2999-01-01T00:00:00+08:00", "yesterday",
])
def test_ended_at_must_be_a_plausible_date_time_string(live, ended_at):
    body = {"call_id": _new_id(), "agent_ids": ["A1"], "ended_at": ended_at}
    _assert_error_shape(live.http.post("/api/calls", json=body, headers=AUTH), 422)


def test_ended_at_in_the_future_is_refused_beyond_five_minutes_of_clock_skew(live):
    now = datetime.now(UTC)
    soon = {"call_id": _new_id(), "agent_ids": ["A1"], "ended_at": (now + timedelta(minutes=2)).isoformat()}
    assert live.http.post("/api/calls", json=soon, headers=AUTH).status_code == 201
    late = {"call_id": _new_id(), "agent_ids": ["A1"], "ended_at": (now + timedelta(minutes=10)).isoformat()}
    _assert_error_shape(live.http.post("/api/calls", json=late, headers=AUTH), 422)


# --- finding 8: security headers and the docs ------------------------------------------


def test_every_html_page_carries_the_security_headers(live):
    token = live.new_survey()
    for path, status in ((f"/s/{token}", 200), ("/s/unknown-link", 404), ("/docs", 200)):
        r = live.http.get(path)
        assert r.status_code == status and r.headers["content-type"].startswith("text/html")
        csp = r.headers["content-security-policy"]
        directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
        assert directives["script-src"] == "'self'" and "unsafe-inline" not in csp
        assert directives["frame-ancestors"] == "'none'"
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["x-frame-options"] == "DENY"
        assert r.headers["referrer-policy"] == "no-referrer"
        assert "<script>" not in r.text  # every script is a file under /static


def test_docs_use_local_assets_and_declare_the_bearer_scheme(live):
    page = live.http.get("/docs").text
    assert "cdn" not in page.lower() and "https://" not in page
    for asset in ("/static/swagger/swagger-ui-bundle.js", "/static/swagger/swagger-ui.css", "/static/docs.js"):
        assert asset in page
        assert live.http.get(asset).status_code == 200
    spec = live.http.get("/openapi.json").json()
    assert spec["components"]["securitySchemes"]["HTTPBearer"] == {
        "type": "http", "scheme": "bearer", "description": "The telephony integration's token"}
    assert spec["paths"]["/api/calls"]["post"]["security"] == [{"HTTPBearer": []}]
    assert live.http.get("/redoc").status_code == 404  # ReDoc exists only as a CDN script
