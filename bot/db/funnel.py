"""Relational model of the survey funnel: the steps of each survey seen on Rasa's event stream.

Keyed by a digest of the event, so re-delivered events count once.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.models import Base, one_of
from bot.domain import FunnelStep


class FunnelEvent(Base):
    """One step of one survey, as seen on the event stream."""

    __tablename__ = "funnel_events"
    __table_args__ = (
        CheckConstraint(one_of("step", FunnelStep), name="ck_funnel_events_step"),
        Index("ix_funnel_events_token_step", "survey_token", "step"),
    )

    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of the event
    survey_token: Mapped[str] = mapped_column(String(64))  # Rasa's sender id
    step: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime]
