"""Message receipts and the survey funnel on SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.cli.main import main
from bot.conversation import calls, receipts
from bot.db.connection import engine_for
from bot.db.funnel import FunnelEvent
from bot.db.receipts import MessageReceipt
from bot.dialogue.state import AWAITING_REASON, AWAITING_SCORE, DONE, DialogueState, Outcome
from bot.ops import funnel_consumer
from bot.scoring import funnel

T0 = datetime(2026, 11, 23, 1, 10, tzinfo=UTC)  # 09:10 in Shanghai
SHANGHAI = ZoneInfo("Asia/Shanghai")


def new_survey(url: str, call_id: str, sent: datetime, channel: str = "web") -> tuple[int, str]:
    with Session(engine_for(url)) as s, s.begin():
        req = calls.CallRequest(call_id=call_id, agent_ids=["A1"], ended_at=sent, channel=channel)
        survey, _ = calls.register_call(s, req, window_minutes=60, template_version="v1", now=sent)
        return survey.id, survey.token


def test_a_message_id_is_recorded_once_per_survey(db_url):
    sid, _ = new_survey(db_url, "c1", T0)
    before = DialogueState(stage=AWAITING_SCORE)
    outcome = Outcome(DialogueState(stage=AWAITING_REASON)).add("utter_ask_reason")
    with Session(engine_for(db_url)) as s, s.begin():
        receipts.record(s, sid, "m-1", before, outcome, T0)
    with pytest.raises(IntegrityError), Session(engine_for(db_url)) as s, s.begin():
        receipts.record(s, sid, "m-1", before, outcome, T0)
    with Session(engine_for(db_url)) as s:
        assert s.scalar(select(func.count()).select_from(MessageReceipt)) == 1
        receipt = receipts.find(s, sid, "m-1")
        assert (receipt.state_before["stage"], receipt.state_after["stage"]) == (AWAITING_SCORE, AWAITING_REASON)
        # A repeat gets the recorded answer and never moves the survey's state (it was stored with the receipt).
        again = receipts.replay(receipt, DialogueState(stage=AWAITING_REASON))
        assert again.say == [("utter_ask_reason", {})] and again.state.stage == AWAITING_REASON
        later = receipts.replay(receipt, DialogueState(stage=DONE))
        assert later.say == [("utter_ask_reason", {})] and later.state.stage == DONE


@pytest.mark.parametrize("value, expected", [("3f2a-uuid", "3f2a-uuid"), ("  id ", "id"), ("", None), (None, None),
                                             (7, None), ("x" * 65, None), ("含中文", None), ("a\nb", None)])
def test_message_ids_are_checked(value, expected):
    assert receipts.clean_message_id(value) == expected


def rasa_event(token: str, kind: str, at: datetime, **extra) -> dict:
    return {"sender_id": token, "event": kind, "timestamp": at.timestamp(), **extra}


def test_funnel_counts_each_survey_step_once_per_hour_of_invitation(db_url):
    # Three surveys sent at 09:10 Shanghai, one at 10:20: hand-counted below.
    a = new_survey(db_url, "c-a", T0)[1]
    b = new_survey(db_url, "c-b", T0 + timedelta(minutes=5))[1]
    new_survey(db_url, "c-c", T0 + timedelta(minutes=9))  # invited, never opened
    d = new_survey(db_url, "c-d", T0 + timedelta(minutes=70))[1]
    t = T0 + timedelta(minutes=2)
    events = [
        rasa_event(a, "action", t, name="action_start_survey"),
        rasa_event(a, "bot", t, text="…", metadata={"utter_action": "utter_ask_reason"}),
        rasa_event(a, "user", t, text="排队太久了"),
        rasa_event(a, "bot", t + timedelta(seconds=1), text="…", metadata={"utter_action": "utter_thanks_reason"}),
        rasa_event(b, "action", t, name="action_start_survey"),
        rasa_event(b, "action", t + timedelta(seconds=3), name="action_start_survey"),  # opened twice
        rasa_event(b, "bot", t, text="…", metadata={"utter_action": "utter_thanks_high"}),
        rasa_event(d, "action", T0 + timedelta(minutes=75), name="action_start_survey"),
        rasa_event(d, "slot", t, name="stage", value="awaiting_score"),
    ]
    with Session(engine_for(db_url)) as s, s.begin():
        assert funnel_consumer.record(s, events) == 1 + 1 + 3 + 1 + 1 + 2 + 1
    with Session(engine_for(db_url)) as s, s.begin():
        assert funnel_consumer.record(s, events) == 0  # the same events delivered again
    with Session(engine_for(db_url)) as s:
        assert s.scalar(select(func.count()).select_from(FunnelEvent)) == 10
        rows = funnel.funnel_by_hour(s, T0 - timedelta(hours=1), T0 + timedelta(hours=3), SHANGHAI)
    assert rows == [
        {"hour": "2026-11-23 09:00", "invited": 3, "opened": 2, "rated": 2, "reason": 1, "completed": 2},
        {"hour": "2026-11-23 10:00", "invited": 1, "opened": 1, "rated": 0, "reason": 0, "completed": 0},
    ]
    text = funnel.format_funnel(rows)
    assert "share of invited" in text and "50%" in text  # 2 of 4 completed


def test_funnel_by_channel_counts_each_channels_surveys(db_url, monkeypatch, capsys):
    # One web, two SMS and one WeChat survey sent on 2026-11-23 (Shanghai); the steps each reached, by hand:
    # web: opened, rated, completed; sms: one opened, one nothing; wechat: opened, rated, reason, completed.
    web = new_survey(db_url, "c-web", T0, "web")[1]
    sms = new_survey(db_url, "c-sms1", T0 + timedelta(minutes=1), "sms")[1]
    new_survey(db_url, "c-sms2", T0 + timedelta(minutes=2), "sms")
    wechat = new_survey(db_url, "c-wx", T0 + timedelta(hours=2), "wechat")[1]
    t = T0 + timedelta(minutes=3)
    events = [
        rasa_event(web, "action", t, name="action_start_survey"),
        rasa_event(web, "bot", t, text="…", metadata={"utter_action": "utter_thanks_high"}),
        rasa_event(sms, "action", t, name="action_start_survey"),
        rasa_event(wechat, "action", t, name="action_start_survey"),
        rasa_event(wechat, "bot", t, text="…", metadata={"utter_action": "utter_ask_reason"}),
        rasa_event(wechat, "user", t, text="信号太差"),
        rasa_event(wechat, "bot", t, text="…", metadata={"utter_action": "utter_thanks_reason"}),
    ]
    with Session(engine_for(db_url)) as s, s.begin():
        funnel_consumer.record(s, events)
    with Session(engine_for(db_url)) as s:
        rows = funnel.funnel_by_channel(s, T0 - timedelta(hours=1), T0 + timedelta(hours=3))
    assert rows == [
        {"channel": "sms", "invited": 2, "opened": 1, "rated": 0, "reason": 0, "completed": 0},
        {"channel": "web", "invited": 1, "opened": 1, "rated": 1, "reason": 0, "completed": 1},
        {"channel": "wechat", "invited": 1, "opened": 1, "rated": 1, "reason": 1, "completed": 1},
    ]
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("FEEDBACKBOT_TIMEZONE", "Asia/Shanghai")
    assert main(["funnel", "--period", "2026-11-23", "--by-channel"]) == 0
    out = capsys.readouterr().out
    assert "by channel" in out
    lines = out.splitlines()
    sms_line = next(i for i, line in enumerate(lines) if line.startswith("sms "))
    assert lines[sms_line].split() == ["sms", "2", "1", "0", "0", "0"]
    assert lines[sms_line + 1].split() == ["share", "100%", "50%", "0%", "0%", "0%"]
    assert lines[-2].split() == ["total", "4", "3", "2", "1", "2"]


def test_event_ids_differ_by_any_field_and_repeat_for_the_same_event():
    e = rasa_event("tok", "action", T0, name="action_start_survey")
    assert funnel_consumer.event_id(e) == funnel_consumer.event_id(dict(reversed(list(e.items()))))
    assert funnel_consumer.event_id(e) != funnel_consumer.event_id({**e, "timestamp": e["timestamp"] + 0.001})
    assert funnel_consumer.event_id(e) != funnel_consumer.event_id({**e, "sender_id": "other"})


def test_periods():
    now = datetime(2026, 11, 23, 17, 0, tzinfo=UTC)  # 01:00 on the 24th in Shanghai
    assert funnel.parse_period("today", SHANGHAI, now) == (datetime(2026, 11, 23, 16, 0, tzinfo=UTC),
                                                           datetime(2026, 11, 24, 16, 0, tzinfo=UTC))
    assert funnel.parse_period("2026-11-01", SHANGHAI, now)[0] == datetime(2026, 10, 31, 16, 0, tzinfo=UTC)
    assert funnel.parse_period("24h", SHANGHAI, now)[0] == datetime(2026, 11, 22, 17, 0, tzinfo=UTC)
    for bad in ("", "0h", "week", "2026-13-01", "-3d"):
        with pytest.raises(ValueError):
            funnel.parse_period(bad, SHANGHAI, now)


def test_a_resent_message_is_stored_once_in_the_transcript(db_url):
    from bot.conversation import transcripts
    from bot.db.chat import ChatMessage

    _, token = new_survey(db_url, "c-transcript", T0)
    exchange = {"customer": "2", "bot": [("方便说说主要是哪里让您不满意吗？", [])]}
    with Session(engine_for(db_url)) as s, s.begin():
        survey = calls.survey_by_token(s, token)
        assert transcripts.append(s, survey, T0, message_id="m-1", **exchange) is True
        assert transcripts.append(s, survey, T0, message_id="m-1", **exchange) is False  # the page's resend
        assert transcripts.append(s, survey, T0, message_id="m-2", customer="排队太久") is True
        assert transcripts.append(s, survey, T0, customer="排队太久") is True  # no id: not keyed
    with Session(engine_for(db_url)) as s:
        rows = s.scalars(select(ChatMessage).order_by(ChatMessage.id)).all()
        assert [(m.sender, m.text, m.message_id) for m in rows] == [
            ("customer", "2", "m-1"), ("bot", "方便说说主要是哪里让您不满意吗？", None),
            ("customer", "排队太久", "m-2"), ("customer", "排队太久", None)]
    # Two deliveries racing past the check: the database keeps one.
    with pytest.raises(IntegrityError), Session(engine_for(db_url)) as s, s.begin():
        s.add(ChatMessage(survey_id=rows[0].survey_id, sender="customer", text="2", created_at=T0, message_id="m-1"))
