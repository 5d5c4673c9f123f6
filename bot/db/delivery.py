"""Relational model of message delivery: one receipt per customer message, and the survey funnel.

A customer message carries an id from the chat page, resent unchanged when
the customer retries. The receipt of a message is written in the same
transaction as the rating or reason it produced, under a unique key on
(survey, message id), so a retried or duplicated delivery is recognised and
answered with what was recorded instead of being stored twice.

The funnel table holds the steps of each survey seen on Rasa's event stream,
keyed by a digest of the event, so re-delivered events count once.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.models import Base, _one_of
from bot.domain import FunnelStep


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


class FunnelEvent(Base):
    """One step of one survey, as seen on the event stream."""

    __tablename__ = "funnel_events"
    __table_args__ = (
        CheckConstraint(_one_of("step", FunnelStep), name="ck_funnel_events_step"),
        Index("ix_funnel_events_token_step", "survey_token", "step"),
    )

    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of the event
    survey_token: Mapped[str] = mapped_column(String(64))  # Rasa's sender id
    step: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime]
