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
    """The survey opened for a call, or (``opted_out``) the answer "do not send" for an opted-out channel."""

    call_id: str
    survey_token: str | None = Field(description="None when the channel opted out")
    chat_url: str | None = Field(description="The link to send; None when the channel opted out: send nothing")
    expires_at: datetime | None = Field(description="None when the channel opted out")
    created: bool = Field(description="False when the call was already registered (idempotent repeat) "
                                      "or no survey was opened because the channel opted out")
    opted_out: bool = Field(default=False, description="True: this customer_channel_id asked for no more "
                                                       "surveys; no survey was opened, do not send anything")


# --- chat -------------------------------------------------------------------------


class ChatIn(BaseModel):
    """One customer message."""

    message: str = Field(default="", max_length=20000)


class ChatMessage(BaseModel):
    """One bot message, with the buttons it offers (title and payload)."""

    text: str | None = None
    buttons: list[dict] = Field(default_factory=list)


class ChatOut(BaseModel):
    """The bot's replies to one customer message."""

    messages: list[ChatMessage]
    closed: bool = Field(default=False, description="The survey is over (completed, closed, expired, opted out)")
    notice: str | None = Field(default=None, description="One-line closed notice to show under the conversation")

    @classmethod
    def say(cls, text: str) -> ChatOut:
        """A reply of one plain message."""
        return cls(messages=[ChatMessage(text=text)])


class HistoryMessage(BaseModel):
    """One stored message of the conversation."""

    sender: str = Field(description="customer or bot")
    text: str
    buttons: list[dict] = Field(default_factory=list)


class HistoryOut(BaseModel):
    """The conversation so far, for a page opened again."""

    messages: list[HistoryMessage]
    closed: bool
    notice: str | None = None
    accepts_input: bool = Field(description="False once nothing more can be said (an opted-out survey still "
                                            "accepts 重新订阅)")
