"""Relational model of the staff side: teams and their history, accounts, sessions, appeals.

Staff (agents, supervisors, admins) are rows of ``agents`` (``bot.db.models``),
with their role there. An agent belongs to one team at a time; each move
closes one ``team_memberships`` row and opens the next, so the history stays.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.models import Base, one_of
from bot.domain import CAUSES, AppealMode, AppealStatus, AppealVote


class Team(Base):
    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    supervisor_id: Mapped[str | None] = mapped_column(ForeignKey("agents.id"))
    created_at: Mapped[datetime]


class TeamMembership(Base):
    """An agent's membership of a team from ``valid_from`` until ``valid_to`` (open when None)."""

    __tablename__ = "team_memberships"
    __table_args__ = (Index("ix_team_memberships_agent_from", "agent_id", "valid_from"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agent_id: Mapped[str] = mapped_column(ForeignKey("agents.id"))
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), index=True)
    valid_from: Mapped[datetime]
    valid_to: Mapped[datetime | None]


class Account(Base):
    """A local login for a staff member (password hashed with Argon2)."""

    __tablename__ = "accounts"

    agent_id: Mapped[str] = mapped_column(ForeignKey("agents.id"), primary_key=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    updated_at: Mapped[datetime]
    # Demo centre accounts (known passwords): refused at login outside development.
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # A disabled account cannot log in and has no session (``feedbackbot user disable``).
    disabled: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class StaffSession(Base):
    """A server-side login session; the cookie carries only a random id whose hash is stored."""

    __tablename__ = "staff_sessions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    agent_id: Mapped[str] = mapped_column(ForeignKey("agents.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]


class LoginAttempt(Base):
    """One login attempt, kept for rate limiting failed passwords."""

    __tablename__ = "login_attempts"
    __table_args__ = (Index("ix_login_attempts_key_at", "key", "at"), Index("ix_login_attempts_at", "at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(128))  # the login id tried (and the client address, as a second key)
    at: Mapped[datetime]
    succeeded: Mapped[bool]


class Appeal(Base):
    """An agent's request to remove a staff attribution from their KPI (``bot.staff.appeals`` decides it).

    First decided by ``decider_id`` (the supervisor) or by the panel
    (``appeal_panelists``), by the admin when escalated; a rejection may go
    once to the admin (``review_*``), whose answer is final.
    """

    __tablename__ = "appeals"
    __table_args__ = (CheckConstraint(one_of("status", AppealStatus), name="ck_appeals_status"),
                      CheckConstraint(one_of("mode", AppealMode), name="ck_appeals_mode"),
                      Index("ix_appeals_status_due", "status", "due_at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reason_id: Mapped[int] = mapped_column(ForeignKey("reasons.id"), index=True)
    agent_id: Mapped[str] = mapped_column(ForeignKey("agents.id"), index=True)
    text: Mapped[str] = mapped_column(Text)  # the agent's explanation
    status: Mapped[str] = mapped_column(String(16), default=AppealStatus.OPEN)
    created_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]
    decided_by: Mapped[str | None] = mapped_column(String(64))  # actor string of the last decision
    decision_note: Mapped[str | None] = mapped_column(Text)
    mode: Mapped[str] = mapped_column(String(16), default=AppealMode.SUPERVISOR,
                                      server_default=AppealMode.SUPERVISOR.value)
    decider_id: Mapped[str | None] = mapped_column(ForeignKey("agents.id"))  # supervisor mode
    due_at: Mapped[datetime | None]  # the first decision's deadline (working days)
    escalated_at: Mapped[datetime | None]
    escalation: Mapped[str | None] = mapped_column(String(16))  # overdue | split | no_decider
    decided_cause: Mapped[str | None] = mapped_column(String(32))  # the cause chosen when upheld
    review_requested_at: Mapped[datetime | None]
    review_text: Mapped[str | None] = mapped_column(Text)  # the agent's words asking for the second review
    final: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class AppealPanelist(Base):
    """A reviewer drawn for an appeal's blind panel, and their vote once cast."""

    __tablename__ = "appeal_panelists"
    __table_args__ = (UniqueConstraint("appeal_id", "reviewer_id", name="uq_appeal_panelists"),
                      CheckConstraint(f"vote IS NULL OR {one_of('vote', AppealVote)}", name="ck_appeal_panelists_vote"),
                      CheckConstraint(f"cause IS NULL OR {one_of('cause', CAUSES)}", name="ck_appeal_panelists_cause"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    appeal_id: Mapped[int] = mapped_column(ForeignKey("appeals.id"), index=True)
    reviewer_id: Mapped[str] = mapped_column(ForeignKey("agents.id"), index=True)
    drawn_at: Mapped[datetime]
    vote: Mapped[str | None] = mapped_column(String(16))
    cause: Mapped[str | None] = mapped_column(String(32))  # with an ``uphold`` vote: the right cause
    note: Mapped[str | None] = mapped_column(Text)
    voted_at: Mapped[datetime | None]
