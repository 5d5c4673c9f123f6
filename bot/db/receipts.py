"""Relational model of message delivery: one receipt per customer message.

A customer message carries an id from its channel (the chat page's, resent
unchanged when the customer retries). The receipt of a message is written in
the same transaction as the rating or reason it produced, under a unique key
on (survey, message id), so a retried or duplicated delivery is recognised and
answered with what was recorded instead of being stored twice.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.models import Base


class MessageReceipt(Base):
    """What one customer message did: the state before and after, and what the bot said."""

    __tablename__ = "message_receipts"
    __table_args__ = (UniqueConstraint("survey_id", "message_id", name="uq_message_receipts_survey_message"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id"))
    message_id: Mapped[str] = mapped_column(String(64))
    state_before: Mapped[dict[str, Any]]
    state_after: Mapped[dict[str, Any]]
    # [[response name, template variables], ...] as said the first time.
    responses: Mapped[list[Any]] = mapped_column(JSON)
    created_at: Mapped[datetime]
