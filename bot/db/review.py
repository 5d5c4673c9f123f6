"""Relational model of the review queue's labels: one row per reviewer and item, never rewritten.

An item is a reason awaiting a person's decision (``bot.staff.review_queue``).
A reviewer's label (or skip) is a row here; the reason row a decision writes
goes through the one writer (``bot.conversation.records.SurveyRecord``) when
the item is decided: at once for single review, when two reviewers agree for
double review (``bot.staff.review``). Agreement figures read pairs of labels
from this table (``bot.staff.agreement``).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.models import Base, one_of
from bot.domain import CAUSES


class ReviewLabel(Base):
    """A reviewer's label of one item (the reason ``reason_id``); ``cause`` NULL means the reviewer skipped it."""

    __tablename__ = "review_labels"
    __table_args__ = (
        CheckConstraint(f"cause IS NULL OR {one_of('cause', CAUSES)}", name="ck_review_labels_cause"),
        Index("ix_review_labels_reason_reviewer", "reason_id", "reviewer_id", unique=True),
        Index("ix_review_labels_reviewer", "reviewer_id", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reason_id: Mapped[int] = mapped_column(ForeignKey("reasons.id"))
    reviewer_id: Mapped[str] = mapped_column(ForeignKey("agents.id"))
    cause: Mapped[str | None] = mapped_column(String(32))
    evidence: Mapped[str | None] = mapped_column(Text)  # the span of the customer's words the reviewer marked
    note: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime]
