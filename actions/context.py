"""What every action needs: settings, the database, the classifier, and turning outcomes into messages.

Created lazily on first use so importing the action package (which the
rasa-sdk server does at start) opens no connection.
"""
from __future__ import annotations

import logging
from datetime import datetime
from functools import lru_cache
from typing import Any

from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session

from bot.conversation import receipts
from bot.db.session import open_session
from bot.dialogue.state import Outcome
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


def emit(dispatcher: CollectingDispatcher, outcome: Outcome) -> list[dict[str, Any]]:
    """Send the outcome's responses; no events.

    The turn service stored the conversation's new state on the survey row
    (``bot.dialogue.state``), so Rasa gets nothing to validate, apply and store
    but the messages.
    """
    for response, variables in outcome.say:
        dispatcher.utter_message(response=response, **variables)
    if outcome.status is not None:
        # The survey's status after the turn, for the conversation gateway (no second read of the survey).
        dispatcher.utter_message(json_message=receipts.status_marker(outcome.status))
    return []


def fail(dispatcher: CollectingDispatcher, exc: BaseException) -> list[dict[str, Any]]:
    """Tell the customer to retry; the failed turn changed nothing (its transaction rolled back).

    The marker lets the chat proxy tell this apart from an answer
    (it keeps the customer's text for a resend).
    """
    log.exception("survey turn failed: %s", exc)
    dispatcher.utter_message(response="utter_error", json_message=receipts.TURN_FAILED)
    return []


def now() -> datetime:
    from bot.clock import utcnow

    return utcnow()
