"""Opening a survey conversation when the customer opens the chat link."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import context, turn_runner
from bot.conversation import turns


class ActionStartSurvey(Action):
    """Greets with the versioned scale statement and marks the survey in progress."""

    def name(self) -> str:
        return "action_start_survey"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        return turn_runner.run_turn(dispatcher, tracker, lambda s, token, mid: turns.start_turn(
            s, token, context.now(), message_id=mid,
            channel_secret=context.settings().session_secret))
