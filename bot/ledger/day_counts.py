"""``survey_fact_days``: the KPI sums of ``survey_facts`` per local day, credited agent and call team.

A month's KPIs then add up some 30 rows per agent instead of every survey
of the month, so scoring no longer grows with the history kept.

The counts are defined once, in :data:`MEASURES`: the same aggregate
expressions sum the fact rows into a day row here and are what scoring runs
over the fact rows themselves (``bot.scoring.board``), so a day row can only
hold what the direct query would count.

Maintenance, always in the caller's transaction (``bot.ledger.fact_table``
calls it around every change of fact rows, so no writer can bypass it):

* :func:`apply_delta` with ``sign=-1`` on the fact rows about to be deleted,
  then ``+1`` on their replacements: an upsert that adds each group's
  counts to its day row (``INSERT … ON CONFLICT DO UPDATE SET n = n +
  excluded.n``). Increments stay right when two PostgreSQL transactions
  touch the same day row: the second waits for the first's row lock and
  adds to the committed value (a recount from the facts would not see the
  other's uncommitted rows).
* :func:`rebuild` recomputes every row (``feedbackbot facts rebuild``).
* :func:`verify` compares every row with a recount (``feedbackbot facts verify``).

The local day is the centre's zone recorded in ``survey_fact_days_zone``
when the table was built (no row: not built, nothing maintained, scoring
reads the facts). It is computed in SQL from the zone's UTC offsets
(:func:`local_day`), the same on SQLite (no time zones) and PostgreSQL and
the same as Python's ``zoneinfo``. Scoring uses day rows only for the whole
local days of a span and the fact rows for any edge (:func:`split`), so a
span in another zone or not aligned to days still gives the exact figures.
"""
from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    Date,
    DateTime,
    Insert,
    Select,
    Table,
    bindparam,
    case,
    delete,
    func,
    insert,
    literal,
    literal_column,
    null,
    select,
    true,
)
from sqlalchemy import cast as sql_cast
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bot.db.survey_facts import SurveyFact, SurveyFactDay, SurveyFactDayZone
from bot.domain import ATTRIBUTION, CAUSES, STAFF_CAUSES, Attribution, SurveyStatus
from bot.ledger.per_survey import (
    APPEAL_UPHELD,
    NON_STAFF_LOW,
    STAFF_LOW,
    UNATTRIBUTED_LOW,
    count_if,
    fact_rows,
)

F = cast(Table, SurveyFact.__table__)
D = cast(Table, SurveyFactDay.__table__)
NO_TEAM = 0  # team_id of a day row for calls without a team

_NON_STAFF = tuple(c for c in CAUSES if ATTRIBUTION[c] == Attribution.NON_STAFF)


def cause_column(code: str) -> str:
    """The day-row column counting a cause: ``ns_…`` (non_staff_low) or ``st_…`` (staff_low)."""
    return ("st_" if code in STAFF_CAUSES else "ns_") + code.replace(".", "_")


Measure = Callable[[Any], ColumnElement[int]]


def _by_cause(bucket: str, code: str) -> Measure:
    return lambda f: count_if((f.c.bucket == bucket) & (f.c.cause == code))


#: Every count of a KPI group, as an aggregate over per-survey rows ``f`` (``per_survey`` column names).
#: The day table has one column per name; scoring sums them.
MEASURES: tuple[tuple[str, Measure], ...] = (
    ("invited", lambda f: func.count()),
    ("responses", lambda f: func.count(f.c.score)),
    ("satisfied", lambda f: count_if(f.c.score >= 4)),
    ("neutral", lambda f: count_if(f.c.score == 3)),
    ("dissatisfied", lambda f: count_if(f.c.score <= 2)),
    ("staff_low", lambda f: count_if(f.c.bucket == STAFF_LOW)),
    ("non_staff_low", lambda f: count_if(f.c.bucket == NON_STAFF_LOW)),
    ("unattributed_low", lambda f: count_if(f.c.bucket.in_((UNATTRIBUTED_LOW, APPEAL_UPHELD)))),
    ("opted_out", lambda f: count_if(f.c.score.is_(None) & (f.c.survey_status == SurveyStatus.OPTED_OUT))),
    ("appeal_upheld", lambda f: count_if(f.c.bucket == APPEAL_UPHELD)),
    ("late", lambda f: func.coalesce(func.sum(f.c.late), 0)),
    ("corrected", lambda f: func.coalesce(func.sum(f.c.corrected), 0)),
    ("appeal_open", lambda f: count_if(f.c.appeal_open.is_(true()))),
    *((cause_column(code), _by_cause(NON_STAFF_LOW, code)) for code in _NON_STAFF),
    *((cause_column(code), _by_cause(STAFF_LOW, code)) for code in STAFF_CAUSES),
)
NAMES = tuple(name for name, _ in MEASURES)


# --- local days in SQL ------------------------------------------------------------------

_SCAN_FROM, _SCAN_TO = datetime(1970, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC)


@cache
def offsets(tz: str) -> tuple[tuple[datetime, ...], tuple[int, ...]]:
    """The zone's UTC offset changes from 1970 to 2100: instants ``t[i]`` and offsets (seconds).

    ``offs[0]`` applies before ``t[0]``, ``offs[i + 1]`` from ``t[i]`` on
    (before 1970 the 1970 offset, after 2100 the last one).
    """
    zone = ZoneInfo(tz)

    def off(t: datetime) -> int:
        return int(cast(timedelta, t.astimezone(zone).utcoffset()).total_seconds())

    changes: list[datetime] = []
    offs = [off(_SCAN_FROM)]
    t = _SCAN_FROM
    while t < _SCAN_TO:
        nxt = t + timedelta(days=1)  # offset changes are weeks apart in every zone since 1970
        if off(nxt) != offs[-1]:
            lo, hi = t, nxt  # off(lo) is the old offset, off(hi) the new: bisect to the second
            while hi - lo > timedelta(seconds=1):
                mid = lo + (hi - lo) / 2
                mid = mid.replace(microsecond=0)
                if mid <= lo:
                    break
                lo, hi = (mid, hi) if off(mid) == offs[-1] else (lo, mid)
            changes.append(hi)
            offs.append(off(hi))
        t = nxt
    return tuple(changes), tuple(offs)


def day_of(t: datetime, tz: str) -> date:
    """The local day of instant ``t`` exactly as :func:`local_day` computes it in SQL."""
    changes, offs = offsets(tz)
    return (t.astimezone(UTC) + timedelta(seconds=offs[bisect.bisect_right(changes, t)])).date()


def local_day(column: ColumnElement[datetime], tz: str, dialect: str) -> ColumnElement[date]:
    """SQL for the local date in ``tz`` of the UTC instant ``column``.

    A balanced CASE over the offset changes picks the offset (a dozen
    comparisons for a zone with summer time, none for Asia/Shanghai since
    1991); SQLite adds it with ``date(t, '+28800 seconds')``, PostgreSQL to the
    UTC wall time.
    """
    changes, offs = offsets(tz)
    pg = dialect == "postgresql"

    def leaf(seconds: int) -> ColumnElement[Any]:
        return literal_column(f"INTERVAL '{seconds} seconds'" if pg else f"'{seconds:+d} seconds'")

    def tree(lo: int, hi: int) -> ColumnElement[Any]:  # offsets offs[lo..hi]
        if lo == hi:
            return leaf(offs[lo])
        mid = (lo + hi + 1) // 2  # offs[mid] starts at changes[mid - 1]
        return case((column < literal(changes[mid - 1], DateTime(timezone=True)), tree(lo, mid - 1)),
                    else_=tree(mid, hi))

    shift = tree(0, len(offs) - 1)
    if pg:
        return sql_cast(func.timezone("UTC", column) + shift, Date)
    # Whole seconds first: SQLite's date functions round fractions to the millisecond, which would move
    # 23:59:59.9996 to the next day.
    return cast(ColumnElement[date], func.date(func.substr(column, 1, 19), shift, type_=Date))


# --- maintenance -----------------------------------------------------------------------

def built_zone(s: Session) -> str | None:
    """The zone the day table is keyed by, or None when it is not built (then nothing is maintained)."""
    return s.scalar(select(SurveyFactDayZone.timezone).where(SurveyFactDayZone.id == 1))


def _grouped(tz: str, dialect: str, where: ColumnElement[bool] | None, with_last: bool) -> Select:
    """The fact rows (all, or those matching ``where``) summed per local day, agent and team."""
    rows = select(local_day(F.c.ended_at, tz, dialect).label("day"), F.c.credited_agent_id.label("agent_id"),
                  func.coalesce(F.c.team_id, NO_TEAM).label("team_id"), F.c.ended_at, F.c.score, F.c.bucket,
                  F.c.cause, F.c.survey_status, F.c.late, F.c.corrected, F.c.appeal_open)
    if where is not None:
        rows = rows.where(where)
    f = rows.subquery("f")
    # A subquery so the GROUP BY names a column: PostgreSQL cannot match a grouped expression holding parameters.
    return (select(f.c.day, f.c.agent_id, f.c.team_id,
                   func.max(f.c.ended_at) if with_last else null(),
                   *(measure(f) for _, measure in MEASURES))
            .where(true())  # SQLite: a WHERE keeps "ON CONFLICT" from parsing as a join's ON
            .group_by(f.c.day, f.c.agent_id, f.c.team_id))


_TARGET = ["day", "credited_agent_id", "team_id", "last_ended", *NAMES]


@cache
def _delta_statement(tz: str, dialect: str, sign: int) -> Insert:
    """``INSERT … SELECT … ON CONFLICT DO UPDATE``: add ``sign`` × the counts of the facts of ``:ids``."""
    grouped = _grouped(tz, dialect, F.c.survey_id.in_(bindparam("ids", expanding=True)), with_last=sign > 0)
    if sign < 0:
        grouped = grouped.with_only_columns(*grouped.selected_columns[:4],
                                            *(-c for c in grouped.selected_columns[4:]))
    # Day rows locked in key order: two writers of overlapping days (import batches) queue instead of deadlocking.
    grouped = grouped.order_by(*grouped.selected_columns[:3])
    upsert = (postgresql.insert(D) if dialect == "postgresql" else sqlite.insert(D)).from_select(_TARGET, grouped)
    new = upsert.excluded
    changes: dict[str, Any] = {name: D.c[name] + new[name] for name in NAMES}
    if sign > 0:  # the group's latest call end only grows here; a verify recount catches a survey moved away
        changes["last_ended"] = case((D.c.last_ended.is_(None), new.last_ended),
                                     (new.last_ended > D.c.last_ended, new.last_ended), else_=D.c.last_ended)
    return upsert.on_conflict_do_update(index_elements=[D.c.day, D.c.credited_agent_id, D.c.team_id],
                                        set_=changes)


def apply_delta(s: Session, tz: str, survey_ids: Sequence[int], sign: int) -> None:
    """Add (``sign`` 1) or take away (-1) the current fact rows of ``survey_ids`` to their day rows.

    Runs in the caller's transaction: take away before the fact rows are
    deleted, add after they are inserted again (``bot.ledger.fact_table``).
    """
    if survey_ids:
        s.connection().execute(_delta_statement(tz, s.get_bind().dialect.name, sign), {"ids": list(survey_ids)})


def set_zone(s: Session, tz: str) -> None:
    """Record ``tz`` as the zone of the day rows (the caller recounts them: :func:`rebuild` or ``refresh_facts``)."""
    s.merge(SurveyFactDayZone(id=1, timezone=tz))
    s.flush()


def rebuild(s: Session, tz: str) -> int:
    """Recompute every day row from ``survey_facts`` for zone ``tz`` and record the zone; rows written.

    Runs in the caller's transaction.
    """
    s.execute(delete(D))
    s.execute(insert(D).from_select(_TARGET, _grouped(tz, s.get_bind().dialect.name, None, with_last=True)))
    set_zone(s, tz)
    return int(s.scalar(select(func.count()).select_from(D)) or 0)


def verify(s: Session) -> list[str]:
    """Every difference between the day rows and a recount from ``survey_facts`` (empty: they agree).

    Rows whose ``invited`` is 0 count as absent (they add nothing). Read only.
    """
    tz = built_zone(s)
    if tz is None:
        return ["survey_fact_days is not built (no zone recorded): run `feedbackbot facts rebuild`"]
    columns = ["last_ended", *NAMES]
    stored = {(r[0], r[1], r[2]): r[3:] for r in s.execute(
        select(D.c.day, D.c.credited_agent_id, D.c.team_id, *(D.c[c] for c in columns)).where(D.c.invited != 0))}
    recount = {(r[0], r[1], r[2]): r[3:] for r in s.execute(_grouped(tz, s.get_bind().dialect.name, None, True))}
    bad = []
    for key in sorted(stored.keys() | recount.keys(), key=str):
        a, b = stored.get(key), recount.get(key)
        if a is None or b is None:
            bad.append(f"day {key[0]} agent {key[1]} team {key[2]}: "
                       + ("missing from survey_fact_days" if a is None else "in survey_fact_days only"))
            continue
        for name, x, y in zip(columns, a, b, strict=True):
            if x != y:
                bad.append(f"day {key[0]} agent {key[1]} team {key[2]}: {name} table={x!r} recount={y!r}")
    return bad


# --- reading ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Split:
    """A UTC span ``[start, end)`` as whole local days of the day table plus edges read from the facts.

    Attributes:
        first: First whole day (inclusive).
        stop: Day after the last whole day (exclusive).
        edges: The rest of the span, as UTC spans (none when the span is whole days of the table's zone).
    """

    first: date
    stop: date
    edges: tuple[tuple[datetime, datetime], ...]


def _day_start(d: date, tz: str) -> datetime | None:
    """The first instant of local day ``d`` as :func:`day_of` counts it; None where the zone makes that unclear."""
    t = datetime.combine(d, datetime.min.time(), tzinfo=ZoneInfo(tz)).astimezone(UTC)
    if day_of(t, tz) == d and day_of(t - timedelta(microseconds=1), tz) == d - timedelta(days=1):
        return t
    return None


def split(tz: str | None, start: datetime, end: datetime) -> Split | None:
    """How to read ``[start, end)`` from a day table keyed by zone ``tz``: None when it has no whole day in it."""
    if tz is None:
        return None
    first = day_of(start, tz)
    first_start = _day_start(first, tz)
    if first_start is None:
        return None
    if first_start < start:
        first += timedelta(days=1)
        first_start = _day_start(first, tz)
    stop = day_of(end, tz)
    stop_start = _day_start(stop, tz)
    if first_start is None or stop_start is None or stop <= first:
        return None
    edges = tuple((a, b) for a, b in ((start, first_start), (stop_start, end)) if a < b)
    return Split(first, stop, edges)


#: What the change against the previous period reads (``bot.scoring.kpi.Change``).
CHANGE_NAMES = frozenset({"invited", "responses", "satisfied", "staff_low"})


def day_sums(spans: Iterable[tuple[int, date, date]], *extra: ColumnElement[bool],
             lean: Iterable[int] = ()) -> Select:
    """Per span ``(index, first, stop)``: the summed day rows per agent and team, UNION ALL.

    Columns: index, agent id, team id (NULL for none), latest call end, then :data:`NAMES`. Spans whose
    index is in ``lean`` sum only :data:`CHANGE_NAMES` (0 for the rest): half the work for a previous period.
    """
    lean = set(lean)

    def one(i: int, first: date, stop: date) -> Select:
        team = case((D.c.team_id == NO_TEAM, null()), else_=D.c.team_id)
        return (select(literal(i), D.c.credited_agent_id, team, func.max(D.c.last_ended),
                       *(func.sum(D.c[name]) if i not in lean or name in CHANGE_NAMES else literal(0)
                         for name in NAMES))
                .where(D.c.day >= first, D.c.day < stop, *extra)
                .group_by(D.c.credited_agent_id, D.c.team_id)
                .having(func.sum(D.c.invited) > 0))

    parts = [one(i, a, b) for i, a, b in spans]
    if len(parts) == 1:
        return parts[0]
    from sqlalchemy import union_all

    return cast(Select, union_all(*parts))


def summed(s: Session, start: datetime, end: datetime, names: Sequence[str], by: str | None = None
           ) -> dict[object, list[int]]:
    """The measures ``names`` summed over ``[start, end)``, per ``by`` (``agent_id``, ``team_id``) or in total.

    Whole local days come from the day rows, the edges (and everything
    before the table is built) from the fact rows, as :func:`split` says.
    Keys are agent ids, team ids (None: no team) or None for the total;
    groups without surveys are left out.
    """
    part = split(built_zone(s), start, end)
    spans = [(start, end)] if part is None else list(part.edges)
    out: dict[object, list[int]] = {}

    def add(key: object, values: Sequence[int]) -> None:
        had = out.setdefault(key, [0] * len(names))
        for i, v in enumerate(values):
            had[i] += int(v or 0)

    if part is not None:
        key_col = {"agent_id": D.c.credited_agent_id,
                   "team_id": case((D.c.team_id == NO_TEAM, null()), else_=D.c.team_id)}.get(by or "")
        stmt = (select(*([key_col] if key_col is not None else []), func.sum(D.c.invited),
                       *(func.sum(D.c[n]) for n in names))
                .where(D.c.day >= part.first, D.c.day < part.stop))
        if by is not None:
            stmt = stmt.group_by(D.c.credited_agent_id if by == "agent_id" else D.c.team_id)
        for row in s.execute(stmt):
            key, invited, values = (row[0], row[1], row[2:]) if by else (None, row[0], row[1:])
            if invited:
                add(key, values)
    measures = dict(MEASURES)
    for a, b in spans:
        f = fact_rows(a, b).subquery()
        stmt = select(*([f.c[by]] if by else []), func.count(), *(measures[n](f) for n in names))
        if by is not None:
            stmt = stmt.group_by(f.c[by])
        for row in s.execute(stmt):
            key, invited, values = (row[0], row[1], row[2:]) if by else (None, row[0], row[1:])
            if invited:
                add(key, values)
    return out


def daily(s: Session, tz: str, days: Sequence[tuple[date, datetime, datetime]], names: Sequence[str],
          *where: ColumnElement[bool]) -> dict[date, list[int]] | None:
    """The measures ``names`` per local day of ``tz`` from the day rows (``where`` on them), or None when the
    day rows are keyed by another zone or not built (the caller then counts the fact rows)."""
    if not days or built_zone(s) != tz:
        return None
    whole = split(tz, days[0][1], days[-1][2])
    if whole is None or whole.edges or (whole.first, whole.stop) != (days[0][0], days[-1][0] + timedelta(days=1)):
        return None
    stmt = (select(D.c.day, *(func.sum(D.c[n]) for n in names))
            .where(D.c.day >= days[0][0], D.c.day <= days[-1][0], *where).group_by(D.c.day))
    out: dict[date, list[int]] = {}
    for day, *values in s.execute(stmt):
        out[day if isinstance(day, date) else date.fromisoformat(str(day))] = [int(v or 0) for v in values]
    return out
