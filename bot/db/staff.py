"""Relational model of the staff side: teams and their history, accounts, sessions, appeals.

Staff (agents, supervisors, admins) are rows of ``agents`` (``bot.db.models``),
with their role there. An agent belongs to one team at a time; each move
closes one ``team_memberships`` row and opens the next, so the history stays.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.models import Base, one_of
from bot.domain import AppealStatus


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
    """An agent's request to remove a staff attribution from their KPI; decided by an admin."""

    __tablename__ = "appeals"
    __table_args__ = (CheckConstraint(one_of("status", AppealStatus), name="ck_appeals_status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reason_id: Mapped[int] = mapped_column(ForeignKey("reasons.id"), index=True)
    agent_id: Mapped[str] = mapped_column(ForeignKey("agents.id"), index=True)
    text: Mapped[str] = mapped_column(Text)  # the agent's explanation
    status: Mapped[str] = mapped_column(String(16), default=AppealStatus.OPEN)
    created_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decision_note: Mapped[str | None] = mapped_column(Text)
