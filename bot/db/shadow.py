"""Relational model of shadow mode: a candidate classifier version reading live reasons beside the promoted one.

A ``shadow_runs`` row says which version reads in the shadow, since when and
who started it (the latest row without ``stopped_at`` is the active one). Each
``shadow_readings`` row is what that version made of one reason's words, kept
beside what the promoted model made of them at the time; nothing else reads
these rows for a KPI, so a shadow version affects no one.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.models import Base


class ShadowRun(Base):
    """One period during which a candidate version read live reasons in the shadow."""

    __tablename__ = "shadow_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime]
    started_by: Mapped[str] = mapped_column(String(64))
    stopped_at: Mapped[datetime | None]
    stopped_by: Mapped[str | None] = mapped_column(String(64))


class ShadowReading(Base):
    """The shadow version's reading of one reason, beside the live model's reading of the same words."""

    __tablename__ = "shadow_readings"
    __table_args__ = (UniqueConstraint("reason_id", "version", name="uq_shadow_readings_reason_version"),
                      Index("ix_shadow_readings_version_disagrees", "version", "disagrees"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reason_id: Mapped[int] = mapped_column(ForeignKey("reasons.id"))
    version: Mapped[str] = mapped_column(String(64))
    cause: Mapped[str] = mapped_column(String(32))
    attribution: Mapped[str] = mapped_column(String(16))
    confidence: Mapped[float | None] = mapped_column(Float)
    needs_confirmation: Mapped[bool] = mapped_column(Boolean)
    # What the promoted model read (the reason's cause, or the model's reading kept beside a customer's choice).
    live_cause: Mapped[str] = mapped_column(String(32))
    live_version: Mapped[str | None] = mapped_column(String(64))
    disagrees: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime]
