"""The KPI fact table: one row per survey, a materialisation of ``bot.ledger.per_survey.per_survey``.

Never written by hand: ``bot.ledger.fact_table.refresh_facts`` deletes and
re-inserts the rows of the surveys a transaction touched, from the canonical
per-survey query, so the table can only ever hold what that query says.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.models import Base


class SurveyFact(Base):
    """A survey as scoring sees it: period instant, credited agent, call team, counted rating, bucket."""

    __tablename__ = "survey_facts"
    __table_args__ = (
        Index("ix_survey_facts_ended_at", "ended_at"),
        Index("ix_survey_facts_team_ended", "team_id", "ended_at"),
        Index("ix_survey_facts_agent_ended", "credited_agent_id", "ended_at"),
        # The review queue finds current reasons through the fact table (bot.staff.review_queue).
        Index("ix_survey_facts_source_review", "source", "needs_review"),
        Index("ix_survey_facts_reason", "reason_id"),
    )

    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id"), primary_key=True, autoincrement=False)
    ended_at: Mapped[datetime]  # UTC, as calls.ended_at
    credited_agent_id: Mapped[str] = mapped_column(String(64))
    team_id: Mapped[int | None] = mapped_column(Integer)
    survey_status: Mapped[str] = mapped_column(String(32))
    rating_id: Mapped[int | None] = mapped_column(Integer)  # the counted rating
    score: Mapped[int | None] = mapped_column(Integer)
    reason_id: Mapped[int | None] = mapped_column(Integer)  # its current reason
    attribution: Mapped[str | None] = mapped_column(String(16))
    cause: Mapped[str | None] = mapped_column(String(32))
    source: Mapped[str | None] = mapped_column(String(16))
    needs_review: Mapped[bool | None] = mapped_column(Boolean)
    appeal_upheld: Mapped[bool] = mapped_column(Boolean)
    appeal_open: Mapped[bool] = mapped_column(Boolean, default=False)  # a pending appeal on the counted rating
    late: Mapped[int] = mapped_column(Integer)  # late rating rows of the survey
    corrected: Mapped[int] = mapped_column(Integer)  # superseded rating rows
    bucket: Mapped[str | None] = mapped_column(String(24))
    channel: Mapped[str] = mapped_column(String(16), server_default="web")  # calls.channel: web, sms, wechat
