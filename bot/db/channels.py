"""Relational model of the SMS and WeChat channels: every inbound message once, every outbound message with its fate.

An inbound message is stored once under its provider's dedupe key (the SMS
``sequence_id``, WeChat's ``MsgId``, or number+time+text), so a repeated
callback never becomes a second turn. An outbound message is never reported
as sent unless the provider accepted it. Identities are kept only as the
keyed hash the opt-out list uses and in masked form.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.models import Base

INBOUND_STATUSES = ("queued", "processed", "no_survey", "awaiting_choice", "failed")
OUTBOUND_STATUSES = ("queued", "sent", "failed", "capped", "window_closed")


class InboundMessage(Base):
    """One customer message received on a channel (SMS reply, WeChat message)."""

    __tablename__ = "inbound_messages"
    __table_args__ = (
        CheckConstraint(f"status IN {INBOUND_STATUSES}", name="ck_inbound_messages_status"),
        Index("ix_inbound_messages_hash_received", "channel_hash", "received_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(128), unique=True)
    channel: Mapped[str] = mapped_column(String(16))
    provider: Mapped[str] = mapped_column(String(16))
    channel_hash: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)  # redacted
    sent_at: Mapped[datetime | None]
    received_at: Mapped[datetime]
    extend: Mapped[str | None] = mapped_column(String(32))
    survey_id: Mapped[int | None] = mapped_column(ForeignKey("surveys.id"))
    status: Mapped[str] = mapped_column(String(16), default="queued")
    error: Mapped[str | None] = mapped_column(String(255))


class OutboundMessage(Base):
    """One message sent (or to be sent) to a customer on a channel."""

    __tablename__ = "outbound_messages"
    __table_args__ = (
        CheckConstraint(f"status IN {OUTBOUND_STATUSES}", name="ck_outbound_messages_status"),
        Index("ix_outbound_messages_hash_created", "channel_hash", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    provider: Mapped[str] = mapped_column(String(16))
    channel_hash: Mapped[str] = mapped_column(String(64))
    channel_masked: Mapped[str | None] = mapped_column(String(64))
    survey_id: Mapped[int | None] = mapped_column(ForeignKey("surveys.id"))
    kind: Mapped[str] = mapped_column(String(16))  # invite | reply
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    uncertain: Mapped[bool] = mapped_column(Boolean, default=False)
    provider_message_id: Mapped[str | None] = mapped_column(String(128))
    last_error: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
