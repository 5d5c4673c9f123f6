"""Relational model of complaint and follow-up cases and the staff's in-app notifications.

A case is opened once per ``flags`` row (``complaint`` or ``followup``) and
carries who must answer it, by when, and — when the customer named a
regulator — the regulator's own deadline. Every change of a case is also an
``audit_log`` row (entity ``case``), which is what the case page shows as its
history.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.models import Base, one_of

CASE_STATUSES = ("open", "acknowledged", "answered", "resolved")
#: Statuses in which the response deadline runs (and the case escalates when it passes).
RUNNING = ("open", "acknowledged")


class Case(Base):
    """One complaint or follow-up flag, routed to a handler with a response deadline."""

    __tablename__ = "cases"
    __table_args__ = (
        CheckConstraint(one_of("status", CASE_STATUSES), name="ck_cases_status"),
        Index("ix_cases_status_due", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # One case per flag: the unique key makes opening cases idempotent and safe when two workers race.
    flag_id: Mapped[int] = mapped_column(ForeignKey("flags.id"), unique=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    # The agent whose KPI the call touches: never the handler, never shown the case.
    credited_agent_id: Mapped[str] = mapped_column(ForeignKey("agents.id"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), index=True)
    level: Mapped[int] = mapped_column(Integer)  # index into the configured levels, 0 = first
    # A named person (the team's supervisor) or None: every admin but the credited agent may handle it.
    handler_id: Mapped[str | None] = mapped_column(ForeignKey("agents.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="open")
    opened_at: Mapped[datetime]
    due_at: Mapped[datetime]
    regulator: Mapped[str | None] = mapped_column(String(16))
    regulator_due: Mapped[date | None] = mapped_column(Date)
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by: Mapped[str | None] = mapped_column(String(64))
    answered_at: Mapped[datetime | None]
    answered_by: Mapped[str | None] = mapped_column(String(64))
    answer_note: Mapped[str | None] = mapped_column(Text)
    resolved_at: Mapped[datetime | None]
    resolved_by: Mapped[str | None] = mapped_column(String(64))


class Notification(Base):
    """One entry of a staff member's in-app inbox (never carries a customer's words); written by
    ``bot.notifications.inbox.do_notify`` only."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_agent_read", "agent_id", "read_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agent_id: Mapped[str] = mapped_column(ForeignKey("agents.id"))
    kind: Mapped[str] = mapped_column(String(32))  # bot.domain.NotificationKind
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    appeal_id: Mapped[int | None] = mapped_column(ForeignKey("appeals.id"))
    # The staff page the entry is about (/cases/7, /appeals/3, /admin?period=…): relative, the inbox links it.
    link: Mapped[str | None] = mapped_column(String(255))
    text: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime]
    read_at: Mapped[datetime | None]
