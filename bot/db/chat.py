"""Relational model of the customer chat: the transcript of each survey and the opt-out list.

The transcript is written by the web proxy (customer messages redacted), so a
reloaded chat page shows the same conversation. The opt-out list holds only an
HMAC of the channel id (``bot.conversation.optouts``), never the id itself.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.models import Base

SENDERS = ("customer", "bot")


class ChatMessage(Base):
    """One message of a survey's chat, in the order it was shown."""

    __tablename__ = "chat_messages"
    __table_args__ = (
        CheckConstraint("sender IN ('customer', 'bot')", name="ck_chat_messages_sender"),
        Index("ix_chat_messages_survey", "survey_id", "id"),
        # A customer message resent with the same id (the page retries) is stored once.
        Index("uq_chat_messages_survey_message", "survey_id", "message_id", unique=True),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id"))
    sender: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)  # customer messages redacted
    buttons: Mapped[list[dict[str, Any]] | None] = mapped_column(default=None)
    created_at: Mapped[datetime]
    # The chat page's id of a customer message (None for bot messages and messages without one).
    message_id: Mapped[str | None] = mapped_column(String(64), default=None)


class OptOut(Base):
    """A channel that asked for no more surveys; ``opted_in_at`` set when it asked again."""

    __tablename__ = "opt_outs"

    channel_hash: Mapped[str] = mapped_column(String(64), primary_key=True)  # HMAC-SHA256 hex
    opted_out_at: Mapped[datetime]
    opted_in_at: Mapped[datetime | None]
    survey_id: Mapped[int | None] = mapped_column(ForeignKey("surveys.id"))  # where it was asked
