"""Request and response models of the web API, one family per resource."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field, field_validator

# --- integration: calls ---------------------------------------------------------


class CallIn(BaseModel):
    """A call that has just ended."""

    call_id: str = Field(min_length=1, max_length=128, description="The telephony system's call id (idempotency key)")
    agent_ids: list[Annotated[str, Field(min_length=1, max_length=64)]] = Field(
        min_length=1, max_length=20, description="Every agent on the call, in order; the last one is credited")
    ended_at: datetime = Field(description="When the call ended (ISO 8601 with time zone)")
    customer_channel_id: str | None = Field(default=None, max_length=128,
                                            description="Where to send the survey link (e.g. a messaging id)")
    credited_agent_id: str | None = Field(default=None, max_length=64,
                                          description="Override of the credited agent; must be one of agent_ids")

    @field_validator("ended_at")
    @classmethod
    def _aware(cls, v: datetime) -> datetime:
        if v.tzinfo is None:
            raise ValueError("ended_at needs a time zone, e.g. 2026-11-23T09:00:00+08:00")
        return v


class SurveyOut(BaseModel):
    """The survey opened for a call."""

    call_id: str
    survey_token: str
    chat_url: str
    expires_at: datetime
    created: bool = Field(description="False when the call was already registered (idempotent repeat)")


# --- chat -------------------------------------------------------------------------


class ChatIn(BaseModel):
    """One customer message."""

    message: str = Field(default="", max_length=20000)
    message_id: str | None = Field(default=None, max_length=64,
                                   description="Id of this message, resent unchanged on retry (deduplication key)")


class ChatMessage(BaseModel):
    """One bot message, with the buttons it offers (title and payload)."""

    text: str | None = None
    buttons: list[dict] = Field(default_factory=list)


class ChatOut(BaseModel):
    """The bot's replies to one customer message."""

    messages: list[ChatMessage]

    @classmethod
    def say(cls, text: str) -> ChatOut:
        """A reply of one plain message."""
        return cls(messages=[ChatMessage(text=text)])
