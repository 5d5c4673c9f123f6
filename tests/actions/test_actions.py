"""Custom actions with trackers built inline: exact events and responses, real database and classifier."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session

from actions import runtime
from actions.survey_reply import ActionHandleReply
from actions.survey_start import ActionStartSurvey
from bot.db.engine import engine_for
from bot.services import surveys


@pytest.fixture()
def survey_token(db_url, monkeypatch) -> str:
    monkeypatch.setenv("DATABASE_URL", db_url)
    runtime.settings.cache_clear()
    req = surveys.CallRequest(call_id="call-1", agent_ids=["A1"], ended_at=datetime.now(UTC))
    with Session(engine_for(db_url)) as s, s.begin():
        survey, _ = surveys.register_call(s, req, window_minutes=60, template_version="v1")
        token = survey.token
    yield token
    runtime.settings.cache_clear()


# Every slot of domain.yml with its initial value, as Rasa sends them.
INITIAL_SLOTS = {"stage": None, "retries": 0.0, "pending_reason": None}


def tracker(sender: str, text: str, slots: dict | None = None, intent: str = "nlu_fallback") -> Tracker:
    return Tracker(
        sender_id=sender,
        slots={**INITIAL_SLOTS, **(slots or {})},
        latest_message={"text": text, "intent": {"name": intent, "confidence": 0.9}, "entities": []},
        events=[],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


def responses(dispatcher: CollectingDispatcher) -> list[str]:
    return [m["response"] for m in dispatcher.messages]


def test_start_greets_with_versioned_scale_and_sets_state(survey_token):
    d = CollectingDispatcher()
    events = ActionStartSurvey().run(d, tracker(survey_token, "/start_survey", intent="start_survey"), {})
    assert responses(d) == ["utter_greeting_v1"]
    assert events == [SlotSet("stage", "awaiting_score")]  # only what changes


def test_low_score_asks_reason(survey_token):
    d = CollectingDispatcher()
    events = ActionHandleReply().run(d, tracker(survey_token, "2", {"stage": "awaiting_score"}), {})
    assert responses(d) == ["utter_ask_reason"]
    assert events == [SlotSet("stage", "awaiting_reason")]


def test_unclear_reason_asks_for_cause_choice_keeping_the_text(survey_token):
    ActionHandleReply().run(CollectingDispatcher(), tracker(survey_token, "1", {"stage": "awaiting_score"}), {})
    d = CollectingDispatcher()
    events = ActionHandleReply().run(
        d, tracker(survey_token, "不满意", {"stage": "awaiting_reason"}, intent="nlu_fallback"), {})
    assert responses(d) == ["utter_ask_cause_choice"]
    assert events == [SlotSet("stage", "awaiting_cause_choice"), SlotSet("pending_reason", "不满意")]


def test_unparseable_reply_reasks_once_then_closes(survey_token):
    d1 = CollectingDispatcher()
    e1 = ActionHandleReply().run(d1, tracker(survey_token, "收到", {"stage": "awaiting_score"}, "nlu_fallback"), {})
    assert responses(d1) == ["utter_reask_score"]
    assert e1 == [SlotSet("retries", 1.0)]
    d2 = CollectingDispatcher()
    e2 = ActionHandleReply().run(
        d2, tracker(survey_token, "👍", {"stage": "awaiting_score", "retries": 1.0}, "nlu_fallback"), {})
    assert responses(d2) == ["utter_close_no_score"]
    assert e2 == [SlotSet("stage", "done"), SlotSet("retries", 0.0)]


def test_correction_response_carries_the_new_score(survey_token):
    ActionHandleReply().run(CollectingDispatcher(), tracker(survey_token, "1", {"stage": "awaiting_score"}), {})
    d = CollectingDispatcher()
    events = ActionHandleReply().run(
        d, tracker(survey_token, "刚才按错了，应该是5分", {"stage": "awaiting_reason"}), {})
    assert d.messages[0]["response"] == "utter_correction_done"
    assert d.messages[0]["score"] == 5
    assert events[0] == SlotSet("stage", "done")


def test_unknown_sender_gets_not_found(survey_token):
    d = CollectingDispatcher()
    assert ActionHandleReply().run(d, tracker("no-such-token", "5"), {}) == []  # nothing changes
    assert responses(d) == ["utter_survey_not_found"]


def test_database_failure_answers_politely_and_changes_nothing(survey_token, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")
    runtime.settings.cache_clear()
    d = CollectingDispatcher()
    assert ActionHandleReply().run(d, tracker(survey_token, "5"), {}) == []
    assert responses(d) == ["utter_error"]
