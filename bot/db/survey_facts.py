"""The KPI fact table: one row per survey, a materialisation of ``bot.ledger.per_survey.per_survey``.

Never written by hand: ``bot.ledger.fact_table.refresh_facts`` deletes and
re-inserts the rows of the surveys a transaction touched, from the canonical
per-survey query, so the table can only ever hold what that query says.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.models import Base

#: The bucket of a counted 1–3 whose cause is not the agent's (``bot.ledger.per_survey.NON_STAFF_LOW``).
NON_STAFF_LOW = "non_staff_low"
#: The rows of ``ix_survey_facts_team_quotes``. A query reaches a partial index only when its own condition says
#: the same, written as this constant: a bound value would not do on PostgreSQL, whose generic plan (psycopg
#: prepares a statement run five times) is made without the value.
TEAM_QUOTES_WHERE = f"bucket = '{NON_STAFF_LOW}'"


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
        # The cause report's newest quotes per cause (bot.scoring.cause_report._quotes).
        Index("ix_survey_facts_quotes", "bucket", "cause", "reason_id", "ended_at"),
        # The same for a team page's teams: their non-staff low ratings only (about a tenth of the rows). The
        # team's rows of the period held the quotes of its few hundred such ratings among ~17,000 others (10M
        # ratings on SQLite: 20 ms per cause, 140 of the team page's 190 ms).
        Index("ix_survey_facts_team_quotes", "team_id", "cause", "reason_id", "ended_at",
              sqlite_where=text(TEAM_QUOTES_WHERE), postgresql_where=text(TEAM_QUOTES_WHERE)),
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


class SurveyFactDay(Base):
    """The sums of ``survey_facts`` per local day, credited agent and call team: what a KPI adds up.

    One row per (local day in the zone of :class:`SurveyFactDayZone`, agent,
    team); ``team_id`` 0 stands for a call without a team (team ids start at
    1; a primary key cannot hold NULL). Each count is the KPI aggregate of
    ``bot.ledger.day_counts.MEASURES`` of the same name over the day's fact
    rows; a row whose ``invited`` fell to 0 adds nothing and is ignored.
    Maintained by ``bot.ledger.day_counts`` in the transaction that changes
    the facts.
    """

    __tablename__ = "survey_fact_days"
    __table_args__ = (
        # A page's agents (bot.scoring.board.score_scope): ~60 rows per agent and two months, not the centre's.
        Index("ix_survey_fact_days_agent_day", "credited_agent_id", "day"),
        # SQLite: stored in key order, so a period's days are one sequential range, not a lookup per row.
        {"sqlite_with_rowid": False},
    )

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    credited_agent_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    team_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_ended: Mapped[datetime | None]  # the latest call end of the group (an agent's period team is its team)
    invited: Mapped[int] = mapped_column(Integer, default=0)
    responses: Mapped[int] = mapped_column(Integer, default=0)
    satisfied: Mapped[int] = mapped_column(Integer, default=0)
    neutral: Mapped[int] = mapped_column(Integer, default=0)
    dissatisfied: Mapped[int] = mapped_column(Integer, default=0)
    staff_low: Mapped[int] = mapped_column(Integer, default=0)
    non_staff_low: Mapped[int] = mapped_column(Integer, default=0)
    unattributed_low: Mapped[int] = mapped_column(Integer, default=0)
    opted_out: Mapped[int] = mapped_column(Integer, default=0)
    appeal_upheld: Mapped[int] = mapped_column(Integer, default=0)
    late: Mapped[int] = mapped_column(Integer, default=0)
    corrected: Mapped[int] = mapped_column(Integer, default=0)
    appeal_open: Mapped[int] = mapped_column(Integer, default=0)
    ns_company_policy: Mapped[int] = mapped_column(Integer, default=0)
    ns_company_product: Mapped[int] = mapped_column(Integer, default=0)
    ns_company_system: Mapped[int] = mapped_column(Integer, default=0)
    ns_company_network: Mapped[int] = mapped_column(Integer, default=0)
    ns_survey_issue: Mapped[int] = mapped_column(Integer, default=0)
    ns_customer_misreply: Mapped[int] = mapped_column(Integer, default=0)
    ns_customer_other: Mapped[int] = mapped_column(Integer, default=0)
    st_staff_attitude: Mapped[int] = mapped_column(Integer, default=0)
    st_staff_competence: Mapped[int] = mapped_column(Integer, default=0)
    st_staff_resolution: Mapped[int] = mapped_column(Integer, default=0)


class SurveyFactDayZone(Base):
    """The time zone whose local days ``survey_fact_days`` is keyed by (one row, id 1); no row: not built."""

    __tablename__ = "survey_fact_days_zone"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    timezone: Mapped[str] = mapped_column(String(64))


class SurveyFactTeamDay(Base):
    """The sums of ``survey_facts`` per local day and call team: ``survey_fact_days`` summed over the agents.

    About 50 rows a day for a centre of 50 teams instead of ~1,000, so the
    team and centre rows, the team ranks and the cause report's centre
    figures add up a month in some 1,500 rows. One row per (local day in the
    zone of :class:`SurveyFactDayZone`, team); ``team_id`` 0 for calls without
    a team. Each count is the aggregate of ``bot.ledger.day_counts.MEASURES``
    of the same name over the day's fact rows of the team; a row whose
    ``invited`` fell to 0 adds nothing. Maintained by ``bot.ledger.day_counts``
    in the transaction that changes the facts, built and dropped with
    ``survey_fact_days``.
    """

    __tablename__ = "survey_fact_team_days"
    __table_args__ = {"sqlite_with_rowid": False}  # a period's days: one sequential range

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    team_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    invited: Mapped[int] = mapped_column(Integer, default=0)
    responses: Mapped[int] = mapped_column(Integer, default=0)
    satisfied: Mapped[int] = mapped_column(Integer, default=0)
    neutral: Mapped[int] = mapped_column(Integer, default=0)
    dissatisfied: Mapped[int] = mapped_column(Integer, default=0)
    staff_low: Mapped[int] = mapped_column(Integer, default=0)
    non_staff_low: Mapped[int] = mapped_column(Integer, default=0)
    unattributed_low: Mapped[int] = mapped_column(Integer, default=0)
    opted_out: Mapped[int] = mapped_column(Integer, default=0)
    appeal_upheld: Mapped[int] = mapped_column(Integer, default=0)
    late: Mapped[int] = mapped_column(Integer, default=0)
    corrected: Mapped[int] = mapped_column(Integer, default=0)
    appeal_open: Mapped[int] = mapped_column(Integer, default=0)
    ns_company_policy: Mapped[int] = mapped_column(Integer, default=0)
    ns_company_product: Mapped[int] = mapped_column(Integer, default=0)
    ns_company_system: Mapped[int] = mapped_column(Integer, default=0)
    ns_company_network: Mapped[int] = mapped_column(Integer, default=0)
    ns_survey_issue: Mapped[int] = mapped_column(Integer, default=0)
    ns_customer_misreply: Mapped[int] = mapped_column(Integer, default=0)
    ns_customer_other: Mapped[int] = mapped_column(Integer, default=0)
    st_staff_attitude: Mapped[int] = mapped_column(Integer, default=0)
    st_staff_competence: Mapped[int] = mapped_column(Integer, default=0)
    st_staff_resolution: Mapped[int] = mapped_column(Integer, default=0)

