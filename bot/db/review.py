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

from sqlalchemy import CheckConstraint, Float, ForeignKey, Index, Integer, String, Text
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


class ReviewItem(Base):
    """One reason that may wait for a reviewer, with the queue's ordering key: a materialisation, never hand-written.

    Written only by ``bot.ledger.review_items.refresh_review_items`` (from
    ``bot.ledger.fact_table.refresh_facts``, so in every writer's transaction):
    the current reason of a survey's counted rating when the model's reading
    awaits review, a customer's choice disagrees with the model, or it is an
    automatic staff attribution (a *near-threshold candidate*: whether it is
    near the promoted model's threshold is decided when the queue is read, as
    the threshold moves with promotions), or a shadow version's disagreeing
    reading (a candidate too: whether its run is active, and whether the
    reason is near the threshold instead, is read with the queue). Reasons
    with an open appeal or two reviewers' labels (adjudication) have no row.
    """

    __tablename__ = "review_items"
    __table_args__ = (
        # The queue's order: consequence first, then the model's uncertainty, then age (bot.staff.review_queue).
        Index("ix_review_items_order", "rank", "sort_confidence", "created_at", "reason_id"),
        Index("ix_review_items_kind_confidence", "kind", "sort_confidence"),
        Index("ix_review_items_survey", "survey_id"),
    )

    reason_id: Mapped[int] = mapped_column(ForeignKey("reasons.id"), primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)  # uncertain, disagreement, near_threshold, shadow
    version: Mapped[str] = mapped_column(String(64), primary_key=True)  # the shadow version ('' for other kinds)
    survey_id: Mapped[int] = mapped_column(Integer)
    rank: Mapped[int] = mapped_column(Integer)  # 0: deciding it can move an agent's attributed KPI; 1: not
    sort_confidence: Mapped[float] = mapped_column(Float)  # the model's confidence in its guess, 0 when unknown
    created_at: Mapped[datetime]  # the reason's
    cause: Mapped[str] = mapped_column(String(32))  # the reason's (filter)
    source: Mapped[str] = mapped_column(String(16))  # the reason's (filter)
    credited_agent_id: Mapped[str] = mapped_column(String(64))
    team_id: Mapped[int | None] = mapped_column(Integer)
    # Shadow rows of automatic staff attributions: the confidence (-1 when unknown), as a near-threshold item
    # takes the reason instead of the shadow kind when it is below the cut; NULL for every other row.
    staff_confidence: Mapped[float | None] = mapped_column(Float)
