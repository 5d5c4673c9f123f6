"""Idempotent turns: a customer message, identified by its id, is processed once per survey.

The receipt is added in the turn's own transaction, after the turn stored
its rating or reason, so both commit together or not at all. A second
delivery of the same message finds the receipt (or, when both deliveries
race, loses on the unique key and finds it on retry) and gets the recorded
answer back instead of a second rating.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from bot.db.receipts import MessageReceipt
from bot.dialogue.state import DialogueState, Outcome
from zhtext.redact import redact

MAX_MESSAGE_ID_CHARS = 64
# The action server sends this custom payload with ``utter_error`` when a turn
# failed; Rasa's REST channel returns it as a message of its own, so the chat
# proxy can tell a failed turn from an answer.
TURN_FAILED = {"feedbackbot": "turn_failed"}
STATUS_KEY = "feedbackbot_status"


def status_marker(status: str) -> dict[str, str]:
    """The custom payload the action server sends after a turn: the survey's status once the turn is stored."""
    return {STATUS_KEY: status}


def status_of(replies: list[dict[str, Any]]) -> str | None:
    """The survey status a turn's marker carries among Rasa's replies (None when absent)."""
    for m in replies:
        custom = m.get("custom")
        if isinstance(custom, dict) and isinstance(custom.get(STATUS_KEY), str):
            return custom[STATUS_KEY]
    return None
_INSERT = insert(MessageReceipt)


def clean_message_id(value: Any) -> str | None:
    """The message id sent by the channel, or None when absent or malformed (then the turn is not deduplicated)."""
    if not isinstance(value, str):
        return None
    value = value.strip()
    return value if 0 < len(value) <= MAX_MESSAGE_ID_CHARS and value.isascii() and value.isprintable() else None


def find(s: Session, survey_id: int, message_id: str) -> MessageReceipt | None:
    """The receipt of ``message_id`` in survey ``survey_id``, if that message was already processed."""
    return s.scalar(select(MessageReceipt).where(MessageReceipt.survey_id == survey_id,
                                                 MessageReceipt.message_id == message_id))


def _at_rest(state: DialogueState) -> dict[str, Any]:
    """The state as a receipt keeps it: a pending reason redacted again (the channel's redaction may have missed it)."""
    values = state.to_dict()
    if values["pending_reason"]:
        values["pending_reason"] = redact(values["pending_reason"])[:2000]
    return values


def record(s: Session, survey_id: int, message_id: str, before: DialogueState, outcome: Outcome,
           now: datetime) -> None:
    """Add the receipt of a processed message (a concurrent duplicate fails here, on the unique key)."""
    s.connection().execute(_INSERT, {
        "survey_id": survey_id, "message_id": message_id, "state_before": _at_rest(before),
        "state_after": _at_rest(outcome.state),
        "responses": [[name, variables] for name, variables in outcome.say], "created_at": now,
    })


def replay(receipt: Any, current: DialogueState, status: str | None = None) -> Outcome:
    """The answer to a message already processed: what was said then, nothing stored again.

    ``receipt`` is a :class:`MessageReceipt` or a row with its ``responses``.
    The state stays ``current``, the survey's: the first delivery committed its
    state change with the receipt, so a repeat never moves the conversation,
    whether Rasa saw the first answer or not.
    """
    outcome = Outcome(current, status=status)
    for name, variables in receipt.responses:
        outcome.add(name, **variables)
    return outcome
