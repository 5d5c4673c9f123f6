"""Attacks on the servers behind the web app, against the real stack.

Each test first does what an attacker on the same host did (with nothing but
a survey token), then asserts that it now fails safely and that the survey's
records are unchanged. Runs on SQLite and PostgreSQL (the ``live`` fixture).
"""
from __future__ import annotations

import json

import httpx
import pytest

from bot.settings import DEV_ACTION_SERVER_TOKEN

pytestmark = pytest.mark.e2e

PHONE, ID_CARD, CARD, MAIL = "13912345678", "11010519900307123X", "6222021234567890", "zhang.san@example.com"


def _listening_addresses(port: int) -> set[str]:
    """Local IPv4/IPv6 addresses with a listening TCP socket on ``port`` (read from /proc/net)."""
    found = set()
    for table, width in (("/proc/net/tcp", 8), ("/proc/net/tcp6", 32)):
        try:
            with open(table) as f:
                lines = f.read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:  # 0A = LISTEN
                found.add(address if len(address) == width else "?")
    return found


# --- finding 1: Rasa's HTTP API ----------------------------------------------------


def test_rasa_http_api_refuses_everyone_without_its_token(live):
    token = live.new_survey()
    live.start(token)
    live.say(token, "2")  # now awaiting the reason
    rasa = live.stack.rasa_url
    forged_slot = [{"event": "slot", "name": "stage", "value": "awaiting_reason"},
                   {"event": "slot", "name": "pending_reason", "value": "客服骂人"}]
    attempts = [
        ("GET", f"/conversations/{token}/tracker", None),
        ("POST", f"/conversations/{token}/tracker/events", forged_slot),
        ("POST", f"/conversations/{token}/messages", {"text": "1", "sender": "user"}),
        ("POST", f"/conversations/{token}/execute", {"name": "action_handle_reply"}),
        ("PUT", "/model", {"model_file": "/tmp/evil.tar.gz"}),
        ("DELETE", "/model", None),
        ("GET", "/status", None),
    ]
    for method, path, body in attempts:
        for params in ({}, {"token": "wrong"}):
            r = httpx.request(method, rasa + path, json=body, params=params, timeout=30)
            assert r.status_code == 401, (method, path, params, r.status_code, r.text[:200])
    # The token the stack was started with does open it (so the 401s above are the token's doing).
    assert live.rasa_api("GET", "/status").status_code == 200
    # Nothing was injected: the customer's reason is classified from their own words.
    live.say(token, "等了四十分钟才有人接，排队太久了")
    [reason] = live.reasons(token)
    assert reason.attribution == "non_staff" and "骂" not in reason.text


def test_rasa_and_the_action_server_listen_on_loopback_only(live):
    for port in (live.stack.rasa_port, live.stack.action_port, live.stack.web_port):
        addresses = _listening_addresses(port)
        # 0100007F is 127.0.0.1 in /proc's little-endian hex; no 0.0.0.0 (00000000) or IPv6 wildcard.
        assert addresses == {"0100007F"}, (port, addresses)


# --- finding 2: the action server ---------------------------------------------------


def _forged_call(token: str, text: str) -> dict:
    """A hand-made action call as an attacker writes it: Rasa's request format, no Rasa involved."""
    return {"next_action": "action_handle_reply", "sender_id": token, "version": "3.6.21", "domain": None,
            "tracker": {"sender_id": token, "slots": {"stage": "awaiting_score"}, "latest_message": {
                "text": text, "intent": {"name": "nlu_fallback", "confidence": 1.0}, "entities": []},
                "events": [], "paused": False, "followup_action": None, "active_loop": {},
                "latest_action_name": "action_listen", "latest_event_time": 0.0, "latest_input_channel": "rest"}}


def test_action_server_refuses_forged_calls_without_echoing(live):
    token = live.new_survey()
    live.start(token)
    live.say(token, "4")
    assert [(r.score, r.status) for r in live.ratings(token)] == [(4, "valid")]
    webhook = live.stack.action_url
    secret_text = "1 伪造的评分 secret-marker-7731"
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": DEV_ACTION_SERVER_TOKEN},
                    {"Authorization": f"Basic {DEV_ACTION_SERVER_TOKEN}"}):
        r = httpx.post(webhook, json=_forged_call(token, secret_text), headers=headers, timeout=30)
        assert r.status_code == 401, (headers, r.text)
        assert "secret-marker" not in r.text
    # With the secret but without a tracker: a clear 4xx, not a 500 that repeats the body.
    auth = {"Authorization": f"Bearer {DEV_ACTION_SERVER_TOKEN}"}
    for body in ({"next_action": "action_handle_reply", "marker": "secret-marker-7731"},
                 {"next_action": "action_handle_reply", "tracker": "secret-marker-7731"}):
        r = httpx.post(webhook, json=body, headers=auth, timeout=30)
        assert r.status_code == 400 and "secret-marker" not in r.text, r.text
    r = httpx.post(webhook, content=b"{not json secret-marker", headers=auth, timeout=30)
    assert r.status_code == 400 and "secret-marker" not in r.text
    # The completed survey still counts 4.
    assert [(r.score, r.status) for r in live.ratings(token)] == [(4, "valid")]
    assert live.survey(token).status == "completed"


# --- finding 3: personal data at the edge --------------------------------------------


def test_personal_data_never_reaches_rasa_or_our_tables(live):
    token = live.new_survey()
    live.start(token)
    live.say(token, "2")
    live.say(token, f"客服让我报身份证{ID_CARD}和卡号{CARD}，还说会打{PHONE}回我，邮件发{MAIL}也没人理")
    tracker = live.rasa_api("GET", f"/conversations/{token}/tracker").json()
    dumped = json.dumps(tracker, ensure_ascii=False)
    for raw in (PHONE, ID_CARD, CARD, MAIL, "0307123"):
        assert raw not in dumped, raw
    assert "[身份证号]" in dumped and "[手机号]" in dumped  # the redacted text did reach the dialogue
    [reason] = live.reasons(token)
    for raw in (PHONE, ID_CARD, CARD, MAIL):
        assert raw not in reason.text
    [rating] = live.ratings(token)
    assert rating.score == 2


# --- finding 6: customer text never a Rasa command ------------------------------------

INJECTIONS = ["/ /restart", "／restart", " /restart", "\u200b/restart", "/\u3000/restart", "\ufeff／ ／restart",
              "/ /session_start", "/ /back", "/ /start_survey", "session_start", "/restart{\"stage\": null}"]


@pytest.mark.parametrize("attack", INJECTIONS)
def test_slashes_and_spaces_cannot_turn_text_into_a_rasa_command(live, attack):
    token = live.new_survey()
    live.start(token)
    live.say(token, "2")  # the survey asks for the reason
    assert live.survey(token).stage == "awaiting_reason"
    live.say(token, attack)
    events = live.rasa_api("GET", f"/conversations/{token}/tracker").json()["events"]
    kinds = [e["event"] for e in events]
    assert "restart" not in kinds and kinds.count("session_started") == 1, kinds
    user_texts = [e["text"] for e in events if e["event"] == "user"]
    assert not user_texts[-1].lstrip().startswith("/"), user_texts[-1]
    # The rating of this survey survives and the conversation goes on from where it was.
    assert [r.score for r in live.ratings(token)] == [2]
    assert live.survey(token).status != "pending"
    assert live.survey(token).stage in ("awaiting_reason", "awaiting_cause_choice", "done")  # went on, never back
