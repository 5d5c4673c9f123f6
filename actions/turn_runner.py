"""One survey turn, delivered at most once and retried while the database is unreachable.

The action adapters hand their turn (``bot.conversation.turns.start_turn`` or
``reply_turn`` bound to the message: a function of the session, the survey's
token and the message id) to :func:`run_turn`, which

* runs it in one transaction, retried with exponential backoff (tenacity)
  when the database connection fails or a concurrent duplicate of the same
  message wins the unique key;
* passes on the message id the chat page sent as Rasa message metadata: the
  turn service keys the turn by it (``bot.conversation.receipts``), so a retried
  or duplicated delivery is answered with what was recorded and stores
  nothing again;
* tells the customer to resend when every attempt failed: nothing was
  committed then, so nothing is acknowledged as saved.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.orm import Session
from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential

from actions import context
from actions.context import log
from bot.conversation import receipts
from bot.dialogue.state import Outcome

Turn = Callable[[Session, str, str | None], Outcome]

# Five attempts over about 1.5 s: long enough to ride out a dropped
# connection or a database fail-over, well inside Rasa's action timeout.
ATTEMPTS = 5


def _retryable(exc: BaseException) -> bool:
    """Connection trouble, or a duplicate delivery that committed first (found by the next attempt)."""
    if isinstance(exc, OperationalError | InterfaceError | IntegrityError):
        return True
    return isinstance(exc, DBAPIError) and exc.connection_invalidated


def message_id(tracker: Tracker) -> str | None:
    """The id the channel gave the latest customer message (``metadata.message_id``), if any."""
    metadata = tracker.latest_message.get("metadata") or {}
    return receipts.clean_message_id(metadata.get("message_id")) if isinstance(metadata, dict) else None


def _once(token: str, mid: str | None, turn: Turn) -> Outcome:
    with context.session() as s, s.begin():
        return turn(s, token, mid)


def run_turn(dispatcher: CollectingDispatcher, tracker: Tracker, turn: Turn) -> list[dict[str, Any]]:
    """Run ``turn`` once per message id, with retries; returns the action's events.

    Args:
        dispatcher: Where the turn's responses go.
        tracker: The conversation (its sender id is the survey token).
        turn: Called with the session, the survey token and the message
            id; stores what the message means (once per message id,
            ``bot.conversation.turns``) and returns the outcome. Called inside the
            transaction, possibly more than once (each attempt
            rolled back before the next).
    """
    mid = message_id(tracker)
    retrying = Retrying(retry=retry_if_exception(_retryable), stop=stop_after_attempt(ATTEMPTS),
                        wait=wait_exponential(multiplier=0.05, max=1.0), reraise=True,
                        before_sleep=lambda state: log.warning(
                            "retrying survey turn (attempt %d failed: %s)", state.attempt_number,
                            state.outcome.exception() if state.outcome else None))
    try:
        outcome = retrying(_once, tracker.sender_id, mid, turn)
    except Exception as exc:  # noqa: BLE001 - the customer must get an answer
        return context.fail(dispatcher, exc)
    return context.emit(dispatcher, outcome)
