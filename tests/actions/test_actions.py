"""Custom actions with trackers built inline: exact events and responses, real database and classifier."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session

from actions import context
from actions.survey_reply import ActionHandleReply
from actions.survey_start import ActionStartSurvey
from bot.conversation import calls
from bot.db.connection import engine_for


@pytest.fixture()
def survey_token(db_url, monkeypatch) -> str:
    monkeypatch.setenv("DATABASE_URL", db_url)
    context.settings.cache_clear()
    req = calls.CallRequest(call_id="call-1", agent_ids=["A1"], ended_at=datetime.now(UTC))
    with Session(engine_for(db_url)) as s, s.begin():
        survey, _ = calls.register_call(s, req, window_minutes=60, template_version="v1")
        token = survey.token
    yield token
    context.settings.cache_clear()


def tracker(sender: str, text: str, intent: str = "nlu_fallback") -> Tracker:
    """What Rasa sends: no slots (the domain has none), the latest message."""
    return Tracker(
        sender_id=sender,
        slots={},
        latest_message={"text": text, "intent": {"name": intent, "confidence": 0.9}, "entities": []},
        events=[],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


def responses(dispatcher: CollectingDispatcher) -> list[str]:
    return [m["response"] for m in dispatcher.messages if m.get("response")]  # not the status marker


def state(db_url: str, token: str) -> tuple:
    """The dialogue state stored on the survey row: (stage, retries, pending reason)."""
    with Session(engine_for(db_url)) as s:
        survey = calls.survey_by_token(s, token)
        return survey.stage, survey.retries, survey.pending_reason


def reply(token: str, text: str) -> tuple[list[str], list]:
    """Run the reply action once: (response names, events)."""
    d = CollectingDispatcher()
    events = ActionHandleReply().run(d, tracker(token, text), {})
    return responses(d), events


def test_start_greets_with_versioned_scale_and_stores_the_state(survey_token, db_url):
    d = CollectingDispatcher()
    events = ActionStartSurvey().run(d, tracker(survey_token, "/start_survey", intent="start_survey"), {})
    assert responses(d) == ["utter_greeting_v1"]
    assert events == []  # Rasa gets only the message: the state is on the survey row
    assert state(db_url, survey_token) == ("awaiting_score", 0, None)


def test_low_score_asks_reason(survey_token, db_url):
    assert reply(survey_token, "2") == (["utter_ask_reason"], [])
    assert state(db_url, survey_token) == ("awaiting_reason", 0, None)


def test_unclear_reason_asks_for_cause_choice_keeping_the_text(survey_token, db_url):
    reply(survey_token, "1")
    assert reply(survey_token, "不满意") == (["utter_ask_cause_choice"], [])
    assert state(db_url, survey_token) == ("awaiting_cause_choice", 0, "不满意")
    # The choice attributes the kept text; the state is cleared.
    assert reply(survey_token, "网络或系统") == (["utter_thanks_reason"], [])
    assert state(db_url, survey_token) == ("done", 0, None)


def test_unparseable_reply_reasks_once_then_closes(survey_token, db_url):
    assert reply(survey_token, "收到") == (["utter_reask_score"], [])
    assert state(db_url, survey_token) == ("awaiting_score", 1, None)
    assert reply(survey_token, "👍") == (["utter_close_no_score"], [])
    assert state(db_url, survey_token) == ("done", 0, None)


def test_correction_response_carries_the_new_score(survey_token, db_url):
    reply(survey_token, "1")
    d = CollectingDispatcher()
    events = ActionHandleReply().run(d, tracker(survey_token, "刚才按错了，应该是5分"), {})
    assert d.messages[0]["response"] == "utter_correction_done"
    assert d.messages[0]["score"] == 5
    assert events == [] and state(db_url, survey_token)[0] == "done"


def test_a_forged_slot_in_the_tracker_changes_nothing(survey_token, db_url):
    # The state is read from the survey row only: a tracker claiming another stage and reason is not believed.
    reply(survey_token, "2")
    forged = tracker(survey_token, "排队等了四十分钟才有人接")
    forged.slots = {"stage": "awaiting_cause_choice", "pending_reason": "客服骂人"}
    ActionHandleReply().run(CollectingDispatcher(), forged, {})
    with Session(engine_for(db_url)) as s:
        [rating] = calls.survey_by_token(s, survey_token).ratings
        assert rating.score == 2
        assert [r.text for r in rating.reasons] == ["排队等了四十分钟才有人接"]


def test_unknown_sender_gets_not_found(survey_token):
    d = CollectingDispatcher()
    assert ActionHandleReply().run(d, tracker("no-such-token", "5"), {}) == []  # nothing changes
    assert responses(d) == ["utter_survey_not_found"]


def test_database_failure_answers_politely_and_changes_nothing(survey_token, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")
    context.settings.cache_clear()
    d = CollectingDispatcher()
    assert ActionHandleReply().run(d, tracker(survey_token, "5"), {}) == []
    assert responses(d) == ["utter_error"]
