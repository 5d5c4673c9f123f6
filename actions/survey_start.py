"""Opening a survey conversation when the customer opens the chat link."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import runtime
from bot.services import turns


class ActionStartSurvey(Action):
    """Greets with the versioned scale statement and marks the survey in progress."""

    def name(self) -> str:
        return "action_start_survey"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        try:
            with runtime.session() as s, s.begin():
                outcome = turns.start_turn(s, tracker.sender_id, runtime.state_of(tracker), runtime.now())
        except Exception as exc:  # noqa: BLE001 - the customer must get an answer
            return runtime.fail(dispatcher, exc)
        return runtime.emit(dispatcher, outcome)
