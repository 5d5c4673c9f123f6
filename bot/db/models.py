"""Relational model of calls, surveys, ratings, reasons and the audit trail.

Rows that carry a decision (ratings, reasons) are never rewritten: a newer
row supersedes an older one and both stay. Status columns that do change
(survey status, a superseded rating's status) change only together with an
``audit_log`` row written in the same transaction (see ``bot.db.audit``).
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from bot.domain import CAUSES, Attribution, RatingStatus, ReasonSource, Role, SurveyStatus


def one_of(column: str, values) -> str:
    """SQL text of ``column IN (...)`` for a CHECK constraint."""
    return f"{column} IN ({', '.join(repr(str(v)) for v in values)})"


class Base(DeclarativeBase):
    """Declarative base; timestamps are stored timezone-aware in UTC."""

    type_annotation_map = {datetime: DateTime(timezone=True), dict[str, Any]: JSON, list[dict[str, Any]]: JSON}


class Agent(Base):
    __tablename__ = "agents"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str | None] = mapped_column(String(128))
    role: Mapped[str] = mapped_column(String(16), default=Role.AGENT, server_default=Role.AGENT.value)
    created_at: Mapped[datetime]

    __table_args__ = (CheckConstraint(one_of("role", Role), name="ck_agents_role"),)


class Call(Base):
    __tablename__ = "calls"
    __table_args__ = (
        Index("ix_calls_credited_agent_ended", "credited_agent_id", "ended_at"),
        Index("ix_calls_ended_at", "ended_at"),
        CheckConstraint("channel IN ('web', 'sms', 'wechat')", name="ck_calls_channel"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    external_id: Mapped[str] = mapped_column(String(128), unique=True)
    ended_at: Mapped[datetime]
    # Raw channel ids of calls registered before channels existed; new calls keep only the keyed hash.
    customer_channel_id: Mapped[str | None] = mapped_column(String(128))
    # Where the survey goes (web link, SMS, WeChat) and who it goes to: the identity only as the keyed hash
    # the opt-out list uses (bot.conversation.optouts.channel_hash) and as staff may see it (138****5678).
    channel: Mapped[str] = mapped_column(String(16), default="web", server_default="web")
    channel_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    channel_masked: Mapped[str | None] = mapped_column(String(64))
    # The agent whose KPI the survey touches: the last agent after transfers
    # unless the integration says otherwise.
    credited_agent_id: Mapped[str] = mapped_column(ForeignKey("agents.id"))
    # The credited agent's team on the call's date, fixed when the call is
    # recorded, so a later team move never moves past ratings.
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), index=True)
    created_at: Mapped[datetime]

    agents: Mapped[list[CallAgent]] = relationship(order_by="CallAgent.position", cascade="all, delete-orphan")
    survey: Mapped[Survey | None] = relationship(back_populates="call")


class CallAgent(Base):
    __tablename__ = "call_agents"
    __table_args__ = (UniqueConstraint("call_id", "position"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id"))
    agent_id: Mapped[str] = mapped_column(ForeignKey("agents.id"))
    position: Mapped[int]


class Survey(Base):
    __tablename__ = "surveys"
    __table_args__ = (
        CheckConstraint(one_of("status", SurveyStatus), name="ck_surveys_status"),
        Index("ix_surveys_status", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id"), unique=True)  # one survey per call
    template_version: Mapped[str] = mapped_column(String(32))
    sent_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(32), default=SurveyStatus.PENDING)
    needs_followup: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]
    # The conversation's state (bot.dialogue.state.DialogueState), written in
    # the same transaction as what the turn stored: Rasa's tracker holds none.
    stage: Mapped[str | None] = mapped_column(String(32))
    retries: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    pending_reason: Mapped[str | None] = mapped_column(Text)  # redacted at the edge, as every customer text

    call: Mapped[Call] = relationship(back_populates="survey")
    ratings: Mapped[list[Rating]] = relationship(order_by="Rating.id", back_populates="survey")


class Rating(Base):
    __tablename__ = "ratings"
    __table_args__ = (
        CheckConstraint(one_of("status", RatingStatus), name="ck_ratings_status"),
        CheckConstraint("score BETWEEN 1 AND 5", name="ck_ratings_score"),
        Index("ix_ratings_survey_status", "survey_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Looked up by survey through ix_ratings_survey_status (it starts with survey_id).
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id"))
    score: Mapped[int]
    raw_reply: Mapped[str] = mapped_column(Text)  # redacted before storage
    received_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16))
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("ratings.id"))
    created_at: Mapped[datetime]

    survey: Mapped[Survey] = relationship(back_populates="ratings")
    reasons: Mapped[list[Reason]] = relationship(order_by="Reason.id", back_populates="rating")


class Reason(Base):
    __tablename__ = "reasons"
    __table_args__ = (
        CheckConstraint(one_of("source", ReasonSource), name="ck_reasons_source"),
        CheckConstraint(one_of("attribution", Attribution), name="ck_reasons_attribution"),
        CheckConstraint(one_of("cause", CAUSES), name="ck_reasons_cause"),
        Index("ix_reasons_rating_current", "rating_id", "id"),
        Index("ix_reasons_needs_review", "needs_review"),
        # The review queue's three kinds of candidate (bot.staff.review_queue).
        Index("ix_reasons_source_review", "source", "needs_review"),
        Index("ix_reasons_source_attribution_confidence", "source", "attribution", "confidence"),
        Index("ix_reasons_source_model_cause", "source", "model_cause"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Looked up by rating through ix_reasons_rating_current (it starts with rating_id).
    rating_id: Mapped[int] = mapped_column(ForeignKey("ratings.id"))
    text: Mapped[str] = mapped_column(Text)  # redacted
    cause: Mapped[str] = mapped_column(String(32))
    attribution: Mapped[str] = mapped_column(String(16))
    confidence: Mapped[float | None] = mapped_column(Float)
    source: Mapped[str] = mapped_column(String(16))
    model_version: Mapped[str | None] = mapped_column(String(64))
    evidence: Mapped[str | None] = mapped_column(Text)
    # True when nobody confirmed an uncertain attribution: an admin must look
    # before it can count against an agent.
    needs_review: Mapped[bool] = mapped_column(Boolean, default=False)
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("reasons.id"))
    created_at: Mapped[datetime]
    # The model's own reading when a person set the cause (a customer's choice,
    # a reviewer's label): kept so the review queue sees where they disagree.
    model_cause: Mapped[str | None] = mapped_column(String(32))
    model_confidence: Mapped[float | None] = mapped_column(Float)

    rating: Mapped[Rating] = relationship(back_populates="reasons")


class Flag(Base):
    """Something a supervisor must follow up, such as a complaint intent."""

    __tablename__ = "flags"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)  # redacted
    created_at: Mapped[datetime]
    resolved_at: Mapped[datetime | None]


class AuditLog(Base):
    """Append-only record of every change; nothing in the application updates or deletes it."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(64))
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
