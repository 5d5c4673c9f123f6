"""Opening a survey conversation when the customer opens the chat link."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import delivery, runtime
from bot.dialogue import engine


class ActionStartSurvey(Action):
    """Greets with the versioned scale statement and marks the survey in progress."""

    def name(self) -> str:
        return "action_start_survey"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        def turn(s, survey, state):
            greeting = survey.template_version if survey else runtime.settings().greeting_version
            return engine.start(s, survey, state, runtime.now(), greeting)

        return delivery.run_turn(dispatcher, tracker, turn)
