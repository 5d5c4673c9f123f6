"""What to fix and whom to coach: non-staff causes for their owners, staff causes per team, daily trends.

Counts come from the same per-survey facts as the KPIs (the ``survey_facts``
table, ``bot.ledger.per_survey.fact_rows``), so a cause's count here equals the
``non_staff_by_cause`` figure of the centre row and the staff counts add up
to the teams' ``staff_low``. Quotes are reason texts, redacted when stored.
"""
from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, fields
from datetime import date
from typing import Any, cast

from sqlalchemy import case, func, literal, literal_column, select
from sqlalchemy.orm import Session

from bot.db.models import Reason
from bot.db.staff import Team
from bot.domain import STAFF_CAUSES
from bot.ledger import day_counts
from bot.ledger.per_survey import FACTS as F
from bot.ledger.per_survey import NON_STAFF_LOW, STAFF_LOW, count_if, fact_rows
from bot.scoring.board import UnknownEntity
from bot.scoring.kpi import NON_STAFF_CODES, Counts
from bot.scoring.periods import Period, parse_period


def _period(period: Period | str) -> Period:
    return parse_period(period) if isinstance(period, str) else period


@dataclass(frozen=True)
class CauseCount:
    """One non-staff cause: its count in the period, in the previous period, and recent quotes (newest first)."""

    cause: str
    count: int
    previous: int
    quotes: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """Plain dict; ``quotes`` as a list."""
        return {"cause": self.cause, "count": self.count, "previous": self.previous, "quotes": list(self.quotes)}


@dataclass(frozen=True)
class CauseReport:
    """The owners' report of one period.

    Attributes:
        period: Normalised period label.
        previous_period: Label of the period the trend compares with.
        non_staff: One entry per non-staff cause code, in taxonomy order, zeros included.
        staff_by_team: Team name → staff cause code → count of ``staff_low`` ratings (every team, every code).
    """

    period: str
    previous_period: str
    non_staff: tuple[CauseCount, ...]
    staff_by_team: dict[str, dict[str, int]]

    def to_dict(self) -> dict[str, Any]:
        """Plain, JSON-ready dict."""
        return {"period": self.period, "previous_period": self.previous_period,
                "non_staff": [c.to_dict() for c in self.non_staff], "staff_by_team": self.staff_by_team}


def _facts(p: Period, tz: str, team_ids: Collection[int] | None):
    """The period's fact rows, only those of calls of ``team_ids`` when given (None: the whole centre).

    Some teams' rows are for their quotes, found down ``ix_survey_facts_team_quotes``: SQLite without
    statistics would walk the teams' rows of the period instead (``ix_survey_facts_team_ended``: 10,000,000
    ratings, 130 ms for a team's seven causes against 11).
    """
    if team_ids is None:
        return fact_rows(*p.bounds(tz)).subquery()
    return fact_rows(*p.bounds(tz), by_period=False).where(F.c.team_id.in_(list(team_ids))).subquery()


def _non_staff_counts(s: Session, p: Period, tz: str, team_ids: Collection[int] | None) -> dict[str, int]:
    """non_staff_low per cause (of ``team_ids``' calls when given): the day sums' cause columns for whole days,
    the fact rows for edges."""
    names = [day_counts.cause_column(code) for code in NON_STAFF_CODES]
    if team_ids is not None and not team_ids:
        return {}
    total = day_counts.summed(s, *p.bounds(tz), names, team_ids=team_ids).get(None, [0] * len(names))
    return {code: n for code, n in zip(NON_STAFF_CODES, total, strict=True) if n}


def _quotes(s: Session, p: Period, tz: str, per_cause: int, team_ids: Collection[int] | None
            ) -> dict[str, list[str]]:
    """The newest ``per_cause`` distinct non-empty reason texts of each non-staff cause in the period.

    One small query per cause, newest reason first down ``ix_survey_facts_quotes``
    (bucket, cause, reason id, end time), or for some teams down
    ``ix_survey_facts_team_quotes`` (their non-staff rows by team, cause, reason
    id; the bucket is written as a constant, as that partial index's condition):
    it stops after a few times ``per_cause`` rows instead of ranking every low
    rating of the period. Many customers write the same words ("信号太差"); a
    quote repeated says nothing more, so repeats are skipped (and may leave
    fewer than ``per_cause``).
    """
    f = _facts(p, tz, team_ids)
    parts = [select(f.c.cause, Reason.text, f.c.reason_id)
             .join(Reason, Reason.id == f.c.reason_id)
             .where(f.c.bucket == literal_column(f"'{NON_STAFF_LOW}'"), f.c.cause == code,
                    func.length(func.trim(Reason.text)) > 0)
             .order_by(f.c.reason_id.desc()).limit(per_cause * 4).subquery()
             for code in NON_STAFF_CODES]
    quotes: dict[str, list[str]] = {}
    for part in parts:
        for cause, text, _ in s.execute(select(part).order_by(part.c.reason_id.desc())):
            chosen = quotes.setdefault(cause, [])
            if len(chosen) < per_cause and text not in chosen:
                chosen.append(text)
    return quotes


def _staff_by_team(s: Session, p: Period, tz: str) -> dict[str, dict[str, int]]:
    """staff_low per team and staff cause, from the day sums' cause columns (whole days) and the facts (edges)."""
    names = {i: n for i, n in s.execute(select(Team.id, Team.name))}
    table = {name: dict.fromkeys(STAFF_CAUSES, 0) for name in sorted(names.values())}
    columns = [day_counts.cause_column(code) for code in STAFF_CAUSES]
    for team_id, counts in day_counts.summed(s, *p.bounds(tz), columns, by="team_id").items():
        if team_id in names:
            table[names[cast(int, team_id)]].update(zip(STAFF_CAUSES, counts, strict=True))
    return table


def cause_report(s: Session, period: Period | str, *, tz: str, quotes_per_cause: int = 3,
                 team_ids: Collection[int] | None = None) -> CauseReport:
    """Non-staff causes with trend and quotes, and staff causes per team, for ``period``.

    Args:
        s: Open session (read only).
        period: A :class:`Period` or its string.
        tz: The centre's time zone.
        quotes_per_cause: How many of the most recent reason texts to quote per cause.
        team_ids: The non-staff part (counts, previous period, quotes) only of calls of these teams
            (``calls.team_id``, as the team KPIs count them); None: the whole centre. The staff part is
            per team either way.

    Returns:
        The report; counts are of counted 1–3 ratings in the ``non_staff_low``
        and ``staff_low`` buckets.
    """
    p = _period(period)
    prev = p.previous()
    now, before = _non_staff_counts(s, p, tz, team_ids), _non_staff_counts(s, prev, tz, team_ids)
    quotes = _quotes(s, p, tz, quotes_per_cause, team_ids)
    non_staff = tuple(CauseCount(code, now.get(code, 0), before.get(code, 0), tuple(quotes.get(code, ())))
                      for code in NON_STAFF_CODES)
    return CauseReport(p.label, prev.label, non_staff, _staff_by_team(s, p, tz))


def non_staff_counts(s: Session, period: Period | str, *, tz: str, team_ids: Collection[int] | None = None
                     ) -> tuple[CauseCount, ...]:
    """The non-staff part of :func:`cause_report` without quotes (the centre column beside a team's report)."""
    p = _period(period)
    now, before = _non_staff_counts(s, p, tz, team_ids), _non_staff_counts(s, p.previous(), tz, team_ids)
    return tuple(CauseCount(code, now.get(code, 0), before.get(code, 0), ()) for code in NON_STAFF_CODES)


@dataclass(frozen=True)
class DayPoint:
    """One local day of a trend chart (ratios None on a day without responses)."""

    day: date
    responses: int
    satisfied: int
    staff_low: int
    raw_csat: float | None
    attributed_csat: float | None

    @classmethod
    def of(cls, day: date, counts: Counts) -> DayPoint:
        """The point of ``day`` from its counts."""
        return cls(day, counts.responses, counts.satisfied, counts.staff_low, counts.raw_csat,
                   counts.attributed_csat)

    def to_dict(self) -> dict[str, Any]:
        """Plain dict; the day as ISO ``date``."""
        return {"date": self.day.isoformat(), **{f.name: getattr(self, f.name) for f in fields(self)[1:]}}


def daily_series(s: Session, period: Period | str, *, tz: str, agent_id: str | None = None,
                 team: str | None = None) -> list[DayPoint]:
    """Counted responses and CSATs per local day of ``period`` for an agent, a team (by name) or the centre.

    One query: each call is bucketed into its local day by a CASE over the
    days' UTC bounds computed here (SQLite has no time zones; the bounds also
    follow DST where the zone has it).

    Raises:
        UnknownEntity: ``team`` is not a known team name.
    """
    p = _period(period)
    days = p.day_bounds(tz)
    team_id = None
    if team is not None:
        team_id = s.scalar(select(Team.id).where(Team.name == team))
        if team_id is None:
            raise UnknownEntity(f"unknown team {team!r}")
    sums = day_counts.daily(s, tz, days, ["responses", "satisfied", "staff_low"], agent_id=agent_id,
                            team_id=team_id)
    if sums is not None:  # the day sums are keyed by this zone's days
        return [DayPoint.of(d, Counts(responses=n, satisfied=sat, staff_low=staff))
                for d, _, _ in days for n, sat, staff in [sums.get(d, [0, 0, 0])]]
    f = fact_rows(days[0][1], days[-1][2]).subquery()
    day = case(*((f.c.ended_at < end, literal(i)) for i, (_, _, end) in enumerate(days)), else_=literal(-1))
    stmt = select(day, func.count(f.c.score), count_if(f.c.score >= 4), count_if(f.c.bucket == STAFF_LOW))
    if agent_id is not None:
        stmt = stmt.where(f.c.agent_id == agent_id)
    if team_id is not None:
        stmt = stmt.where(f.c.team_id == team_id)
    found = {i: Counts(responses=n, satisfied=sat, staff_low=staff)
             for i, n, sat, staff in s.execute(stmt.group_by(day))}
    return [DayPoint.of(d, found.get(i, Counts())) for i, (d, _, _) in enumerate(days)]
