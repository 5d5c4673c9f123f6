"""Idempotent turns in the action adapter: a message id is processed once; a failed turn is marked for the proxy."""
from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session

from actions import turn_runner
from actions.survey_reply import ActionHandleReply
from bot.conversation import calls
from bot.conversation.receipts import TURN_FAILED
from bot.db.connection import engine_for
from tests import rows
from tests.actions.test_actions import responses, state, survey_token  # noqa: F401 - fixture


def with_id(sender: str, text: str, message_id: str | None) -> Tracker:
    metadata = {"message_id": message_id} if message_id else {}
    return Tracker(sender_id=sender, slots={}, latest_message={
        "text": text, "intent": {"name": "nlu_fallback", "confidence": 0.9}, "entities": [], "metadata": metadata},
        events=[], paused=False, followup_action=None, active_loop={}, latest_action_name="action_listen")


def ratings(db_url: str, token: str) -> list[int]:
    with Session(engine_for(db_url)) as s:
        return [r.score for r in calls.survey_by_token(s, token).ratings]


def test_the_same_message_id_stores_once_and_answers_alike(survey_token, db_url):  # noqa: F811
    first, again = CollectingDispatcher(), CollectingDispatcher()
    ev1 = ActionHandleReply().run(first, with_id(survey_token, "2", "m-1"), {})
    # A second delivery (Rasa never got the first answer, or the page resent): same answer, same state.
    ev2 = ActionHandleReply().run(again, with_id(survey_token, "2", "m-1"), {})
    assert responses(first) == responses(again) == ["utter_ask_reason"]
    assert ev1 == ev2 == []
    assert ratings(db_url, survey_token) == [2]
    assert state(db_url, survey_token) == ("awaiting_reason", 0, None)
    # A late duplicate after the conversation moved on repeats the answer and leaves the state alone.
    ActionHandleReply().run(CollectingDispatcher(), with_id(survey_token, "排队太久了", "m-2"), {})
    moved = state(db_url, survey_token)
    assert moved != ("awaiting_reason", 0, None)
    late = CollectingDispatcher()
    ActionHandleReply().run(late, with_id(survey_token, "2", "m-1"), {})
    assert responses(late) == ["utter_ask_reason"]
    assert state(db_url, survey_token) == moved
    assert ratings(db_url, survey_token) == [2]


def test_different_ids_or_no_id_are_separate_messages(survey_token, db_url):  # noqa: F811
    ActionHandleReply().run(CollectingDispatcher(), with_id(survey_token, "2", "m-1"), {})
    ActionHandleReply().run(CollectingDispatcher(), with_id(survey_token, "改成4分", "m-2"), {})
    assert sorted(ratings(db_url, survey_token)) == [2, 4]


def test_a_turn_that_keeps_failing_is_marked_and_stores_nothing(survey_token, db_url):  # noqa: F811
    calls = []

    def broken(s, token, mid):
        calls.append(1)
        rows.record_rating(s, calls.survey_by_token(s, token), 3, "3", turn_runner.context.now())  # written, then the turn fails
        raise ConnectionResetError("database went away")

    d = CollectingDispatcher()
    assert turn_runner.run_turn(d, with_id(survey_token, "3", "m-9"), broken) == []
    assert len(calls) == 1  # not a database error: not retried
    assert responses(d) == ["utter_error"] and d.messages[0]["custom"] == TURN_FAILED
    assert ratings(db_url, survey_token) == []  # rolled back: nothing half-stored


def test_a_dropped_connection_is_retried_and_the_rating_stored_once(survey_token, db_url):  # noqa: F811
    from sqlalchemy.exc import OperationalError

    from bot.conversation import turns

    attempts = []

    def flaky(s, token, mid):
        attempts.append(1)
        outcome = turns.reply_turn(s, token, "2", turn_runner.context.now(), turn_runner.context.classify)
        if len(attempts) < 3:  # the first two attempts lose the connection after writing
            raise OperationalError("INSERT …", {}, ConnectionResetError("server closed the connection"))
        return outcome

    d = CollectingDispatcher()
    events = turn_runner.run_turn(d, with_id(survey_token, "2", "m-5"), flaky)
    assert len(attempts) == 3 and responses(d) == ["utter_ask_reason"] and events == []
    assert ratings(db_url, survey_token) == [2]
    assert state(db_url, survey_token) == ("awaiting_reason", 0, None)  # written once, with the rating
