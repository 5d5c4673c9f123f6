"""The dialogue state of one survey, and the outcome of one turn.

The state is stored on the survey's row (``bot.conversation.turns`` reads it in
the turn's snapshot and writes it with the turn's other rows), not in Rasa's
slots: one transaction holds what was recorded and where the conversation
is, every Rasa server sees the same, and Rasa has one event fewer to check,
apply and store per turn (docs/performance.md).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Stages of one survey conversation.
AWAITING_SCORE = "awaiting_score"
AWAITING_REASON = "awaiting_reason"
AWAITING_CAUSE_CHOICE = "awaiting_cause_choice"
AWAITING_SCORE_CONFIRM = "awaiting_score_confirm"
AWAITING_CORRECTION = "awaiting_correction"
DONE = "done"


@dataclass
class DialogueState:
    """Where one survey's conversation is (a new survey has no stage yet)."""

    stage: str | None = None
    retries: int = 0
    pending_reason: str | None = None

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> DialogueState:
        """The state from :meth:`to_dict`'s form (missing or malformed values mean a new conversation)."""
        retries = values.get("retries") or 0
        try:
            retries = int(retries)
        except (TypeError, ValueError):
            retries = 0
        return cls(stage=values.get("stage"), retries=retries, pending_reason=values.get("pending_reason"))

    def to_dict(self) -> dict[str, Any]:
        """The state as the survey row's columns (and the message receipt's JSON) hold it."""
        return {"stage": self.stage, "retries": self.retries, "pending_reason": self.pending_reason}


@dataclass
class Outcome:
    """What a turn decided to say (response names and their template variables), the new state and status."""

    state: DialogueState
    say: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    #: The survey's status once the turn is stored (None for an unknown survey), so a channel needs no second read.
    status: str | None = None

    def add(self, response: str, **variables: Any) -> Outcome:
        self.say.append((response, variables))
        return self
