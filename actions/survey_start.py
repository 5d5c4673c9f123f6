"""Opening a survey conversation when the customer opens the chat link."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import runtime
from bot.dialogue import engine
from bot.services import surveys


class ActionStartSurvey(Action):
    """Greets with the versioned scale statement and marks the survey in progress."""

    def name(self) -> str:
        return "action_start_survey"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        try:
            with runtime.session() as s, s.begin():
                survey = surveys.survey_by_token(s, tracker.sender_id)
                greeting = survey.template_version if survey else runtime.settings().greeting_version
                outcome = engine.start(s, survey, runtime.state_of(tracker), runtime.now(), greeting)
        except Exception as exc:  # noqa: BLE001 - the customer must get an answer
            return runtime.fail(dispatcher, exc)
        return runtime.emit(dispatcher, outcome)
