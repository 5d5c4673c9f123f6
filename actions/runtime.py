"""What every action needs: settings, the database, the classifier, and turning outcomes into events.

Created lazily on first use so importing the action package (which the
rasa-sdk server does at start) opens no connection.
"""
from __future__ import annotations

import logging
from datetime import datetime
from functools import lru_cache
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session

from bot.db.session import open_session
from bot.dialogue.state import DialogueState, Outcome
from bot.services import receipts
from bot.settings import Settings

log = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def settings() -> Settings:
    """Settings of the action server process, read once."""
    return Settings.from_env()


def session() -> Session:
    """A new session on the configured database; the caller opens the transaction."""
    return open_session(settings().database_url)


def classify(text: str):
    """The promoted cause classifier (reloaded by ``classifiers`` when a new version is promoted)."""
    from classifiers import classify as _classify

    return _classify(text)


def state_of(tracker: Tracker) -> DialogueState:
    """The survey state kept in the tracker's slots."""
    return DialogueState.from_slots(tracker.current_slot_values())


def emit(dispatcher: CollectingDispatcher, outcome: Outcome, tracker: Tracker) -> list[dict[str, Any]]:
    """Send the outcome's responses and return the slot events that persist its state.

    Only slots whose value changes are set: every event is one more item for
    Rasa to validate, apply and store, on every turn.
    """
    for response, variables in outcome.say:
        dispatcher.utter_message(response=response, **variables)
    current = tracker.current_slot_values()
    return [SlotSet(name, value) for name, value in outcome.state.to_slots().items()
            if name not in current or current[name] != value]


def fail(dispatcher: CollectingDispatcher, exc: BaseException) -> list[dict[str, Any]]:
    """Tell the customer to retry; the failed turn changed nothing (its transaction rolled back).

    The marker lets the chat proxy tell this apart from an answer
    (it keeps the customer's text for a resend).
    """
    log.exception("survey turn failed: %s", exc)
    dispatcher.utter_message(response="utter_error", json_message=receipts.TURN_FAILED)
    return []


def now() -> datetime:
    from bot.services.surveys import utcnow

    return utcnow()
