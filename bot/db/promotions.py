"""Relational model of the cause-classifier promotion history: which model version is current, and since when.

The current version is the ``to_version`` of the latest row (highest id).
Rows are appended, never changed: a rollback is a new row.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.models import Base, one_of

PROMOTION_ACTIONS = ("initial", "promote", "rollback")


class ModelPromotion(Base):
    """One change of the promoted classifier version: who, when, from, to, why."""

    __tablename__ = "model_promotions"
    __table_args__ = (CheckConstraint(one_of("action", PROMOTION_ACTIONS), name="ck_model_promotions_action"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(64))
    from_version: Mapped[str | None] = mapped_column(String(64))
    to_version: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(16))
    why: Mapped[str | None] = mapped_column(Text)
    # What justified it (gate comparison, metrics); None when nothing was given.
    report: Mapped[dict[str, Any] | None] = mapped_column(JSON)
