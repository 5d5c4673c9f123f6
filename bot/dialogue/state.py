"""Dialogue state carried in Rasa slots, and the outcome of one turn."""
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
    """Per-conversation state mirrored into Rasa slots."""

    stage: str | None = None
    retries: int = 0
    pending_reason: str | None = None

    @classmethod
    def from_slots(cls, slots: dict[str, Any]) -> DialogueState:
        """Read the state from a tracker's slot values (missing slots mean a new conversation)."""
        retries = slots.get("retries") or 0
        try:
            retries = int(retries)
        except (TypeError, ValueError):
            retries = 0
        return cls(stage=slots.get("stage"), retries=retries, pending_reason=slots.get("pending_reason"))

    def to_slots(self) -> dict[str, Any]:
        """Slot values to set after the turn."""
        return {"stage": self.stage, "retries": float(self.retries), "pending_reason": self.pending_reason}


@dataclass
class Outcome:
    """What a turn decided to say (response names and their template variables) and the new state."""

    state: DialogueState
    say: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def add(self, response: str, **variables: Any) -> Outcome:
        self.say.append((response, variables))
        return self
