"""``survey_fact_days``: the KPI sums of ``survey_facts`` per local day, credited agent and call team.

A month's KPIs then add up some 30 rows per agent instead of every survey
of the month, so scoring no longer grows with the history kept.

The counts are defined once, in :data:`MEASURES`: the same aggregate
expressions sum the fact rows into a day row here and are what scoring runs
over the fact rows themselves (``bot.scoring.board``), so a day row can only
hold what the direct query would count.

A second table, ``survey_fact_team_days``, holds the same sums per local day
and call team only (``survey_fact_days`` summed over the agents): ~50 rows a
day instead of ~1,000, so team and centre rows, team ranks and the cause
report's centre figures read a month in ~1,500 rows (:func:`team_sums`,
:func:`summed`, :func:`daily`).

Maintenance, always in the caller's transaction (``bot.ledger.fact_table``
calls it around every change of fact rows, so no writer can bypass it):

* :class:`DayChange`: the counts of the fact rows about to be deleted are
  taken away from their day rows, those of their replacements added, by
  upserts (``INSERT … ON CONFLICT DO UPDATE SET n = n + excluded.n``). Increments stay right when two PostgreSQL
  transactions touch the same day row: the second waits for the first's row
  lock and adds to the committed value (a recount from the facts would not
  see the other's uncommitted rows). The team rows get the net difference
  (read before and after, added once at the end, in key order).
* :func:`rebuild` recomputes every row of both tables (``feedbackbot facts rebuild``).
* :func:`verify` compares every row of both with a recount (``feedbackbot facts verify``).

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
from collections.abc import Callable, Collection, Iterable, Sequence
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

from bot.db.id_lists import in_ids
from bot.db.survey_facts import SurveyFact, SurveyFactDay, SurveyFactDayZone, SurveyFactTeamDay
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
T = cast(Table, SurveyFactTeamDay.__table__)
NO_TEAM = 0  # team_id of a day row for calls without a team

_NON_STAFF = tuple(c for c in CAUSES if ATTRIBUTION[c] == Attribution.NON_STAFF)


@cache
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


def _grouped(tz: str, dialect: str, where: ColumnElement[bool] | None, with_last: bool, agents: bool = True
             ) -> Select:
    """The fact rows (all, or those matching ``where``) summed per local day, agent and team (``agents``
    False: per local day and team, without the latest end)."""
    rows = select(local_day(F.c.ended_at, tz, dialect).label("day"), F.c.credited_agent_id.label("agent_id"),
                  func.coalesce(F.c.team_id, NO_TEAM).label("team_id"), F.c.ended_at, F.c.score, F.c.bucket,
                  F.c.cause, F.c.survey_status, F.c.late, F.c.corrected, F.c.appeal_open)
    if where is not None:
        rows = rows.where(where)
    f = rows.subquery("f")
    # A subquery so the GROUP BY names a column: PostgreSQL cannot match a grouped expression holding parameters.
    if not agents:
        return (select(f.c.day, f.c.team_id, *(measure(f) for _, measure in MEASURES))
                .group_by(f.c.day, f.c.team_id))
    return (select(f.c.day, f.c.agent_id, f.c.team_id,
                   func.max(f.c.ended_at) if with_last else null(),
                   *(measure(f) for _, measure in MEASURES))
            .where(true())  # SQLite: a WHERE keeps "ON CONFLICT" from parsing as a join's ON
            .group_by(f.c.day, f.c.agent_id, f.c.team_id))


_TARGET = ["day", "credited_agent_id", "team_id", "last_ended", *NAMES]


def _signed(tz: str, dialect: str, sign: int) -> Select:
    """The facts of ``:ids`` per local day, agent and team, times ``sign``, columns named as :data:`_TARGET`."""
    grouped = _grouped(tz, dialect, in_ids(F.c.survey_id), with_last=sign > 0)
    columns = list(grouped.selected_columns)
    if sign < 0:  # no latest end (typed: PostgreSQL reads an untyped NULL in a CTE as text)
        columns = [*columns[:3], sql_cast(null(), DateTime(timezone=True)), *(-c for c in columns[4:])]
    return grouped.with_only_columns(*(c.label(name) for c, name in zip(columns, _TARGET, strict=True)))


def _upsert(dialect: str, rows: Select | None = None) -> Insert:
    """``INSERT … ON CONFLICT DO UPDATE`` adding the counts of ``rows`` (None: of the bound rows) to their agent
    day rows."""
    upsert = postgresql.insert(D) if dialect == "postgresql" else sqlite.insert(D)
    if rows is not None:
        upsert = upsert.from_select(_TARGET, rows)
    new = upsert.excluded
    changes: dict[str, Any] = {name: D.c[name] + new[name] for name in NAMES}
    # The group's latest call end only grows here (NULL from a subtraction changes nothing); a verify recount
    # catches a survey moved away.
    changes["last_ended"] = case((D.c.last_ended.is_(None), new.last_ended),
                                 (new.last_ended > D.c.last_ended, new.last_ended), else_=D.c.last_ended)
    return upsert.on_conflict_do_update(index_elements=[D.c.day, D.c.credited_agent_id, D.c.team_id],
                                        set_=changes)


@cache
def _delta_with_teams(tz: str, sign: int) -> Select:
    """PostgreSQL: ``INSERT … SELECT … ON CONFLICT DO UPDATE`` adding ``sign`` × the facts of ``:ids`` to their
    agent day rows, in a data-modifying CTE whose result is the same groups summed per day and team: the agent
    rows' increment and the team difference in one statement, from one read of the facts."""
    g = _signed(tz, "postgresql", sign).cte("g")
    # Day rows locked in key order: two writers of overlapping days (import batches) queue instead of deadlocking.
    upsert = _upsert("postgresql", select(*g.c).order_by(g.c.day, g.c.credited_agent_id, g.c.team_id)).cte("up")
    return (select(g.c.day, g.c.team_id, *(func.sum(g.c[name]) for name in NAMES))
            .group_by(g.c.day, g.c.team_id).add_cte(upsert))


@cache
def _sqlite_statements(tz: str) -> tuple[Select, Insert, Insert]:
    """SQLite: the facts of ``:ids`` per local day, agent and team; the agent and the team upserts of differences."""
    grouped = _grouped(tz, "sqlite", in_ids(F.c.survey_id), with_last=True)
    return grouped, _upsert("sqlite"), _team_upsert("sqlite")


@cache
def _team_upsert(dialect: str) -> Insert:
    """The upsert adding bound differences to team day rows."""
    upsert = postgresql.insert(T) if dialect == "postgresql" else sqlite.insert(T)
    return upsert.on_conflict_do_update(index_elements=[T.c.day, T.c.team_id],
                                        set_={name: T.c[name] + upsert.excluded[name] for name in NAMES})


def _day(value: object) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


class DayChange:
    """What replacing the fact rows of some surveys does to both day tables, in the caller's transaction.

    ``bot.ledger.fact_table`` calls :meth:`before` on each chunk of survey ids
    before deleting their fact rows, :meth:`after` once they are inserted
    again, and :meth:`finish` at the end.

    The team day rows get the net difference of the team sums before and
    after, added by :meth:`finish` in one upsert in key order after every
    agent row: a transaction never waits for an agent day row while holding
    a team day row (a team row is ~20 times hotter: every agent of the team
    writes it), so the order of locks is the same in every writer; and a
    change that leaves a team's counts as they were (a reply that counts
    nothing new) does not touch its row at all.

    PostgreSQL: the agent day rows are incremented at once, before the delete
    and after the insert, by an upsert whose CTE also returns the team sums
    (one statement each, as the agent rows alone took). SQLite (one writer at
    a time, so no lock order to keep): the facts are read per agent group
    before and after, and :meth:`finish` adds the net differences to both
    tables, skipping groups that did not change: two reads and at most two
    upserts, where two upserts and two reads of the team sums would be four.
    """

    def __init__(self, s: Session, tz: str) -> None:
        self._s, self._tz, self._dialect = s, tz, s.get_bind().dialect.name
        self._net: dict[tuple[date, int], list[int]] = {}  # team day → difference
        self._agents: dict[tuple[date, str, int], list[int]] = {}  # SQLite: agent day → difference
        self._last: dict[tuple[date, str, int], list[Any]] = {}  # SQLite: agent day → [latest end before, after]

    def _add(self, net: list[int], values: Sequence[Any], sign: int) -> None:
        for i, v in enumerate(values):
            net[i] += sign * int(v or 0)

    def _apply(self, survey_ids: Sequence[int], sign: int) -> None:
        if not survey_ids:
            return
        c, ids = self._s.connection(), {"ids": list(survey_ids)}
        if self._dialect == "postgresql":
            for day, team_id, *values in c.execute(_delta_with_teams(self._tz, sign), ids):  # signed already
                self._add(self._net.setdefault((_day(day), int(team_id)), [0] * len(NAMES)), values, 1)
            return
        for day, agent_id, team_id, last, *values in c.execute(_sqlite_statements(self._tz)[0], ids):
            key = (_day(day), str(agent_id), int(team_id))
            self._add(self._agents.setdefault(key, [0] * len(NAMES)), values, sign)
            self._add(self._net.setdefault((key[0], key[2]), [0] * len(NAMES)), values, sign)
            self._last.setdefault(key, [None, None])[0 if sign < 0 else 1] = last

    def before(self, survey_ids: Sequence[int]) -> None:
        """Take the current fact rows of ``survey_ids`` away from their day rows (before they are deleted)."""
        self._apply(survey_ids, -1)

    def after(self, survey_ids: Sequence[int]) -> None:
        """Add the new fact rows of ``survey_ids`` to their day rows (after they are inserted)."""
        self._apply(survey_ids, 1)

    def finish(self) -> None:
        """Add the net differences, agent rows first, in key order; rows that did not change are not touched."""
        c = self._s.connection()
        # An agent row changes when a count does or its surveys' latest end moved (it feeds the period team).
        agents = [{"day": key[0], "credited_agent_id": key[1], "team_id": key[2], "last_ended": self._last[key][1],
                   **dict(zip(NAMES, values, strict=True))}
                  for key, values in sorted(self._agents.items())
                  if any(values) or self._last[key][0] != self._last[key][1]]
        teams = [{"day": day, "team_id": team_id, **dict(zip(NAMES, values, strict=True))}
                 for (day, team_id), values in sorted(self._net.items()) if any(values)]
        self._net, self._agents, self._last = {}, {}, {}
        if agents:
            c.execute(_sqlite_statements(self._tz)[1], agents)
        if teams:
            c.execute(_team_upsert(self._dialect), teams)


def set_zone(s: Session, tz: str) -> None:
    """Record ``tz`` as the zone of the day rows (the caller recounts them: :func:`rebuild` or ``refresh_facts``)."""
    s.merge(SurveyFactDayZone(id=1, timezone=tz))
    s.flush()


def rebuild(s: Session, tz: str) -> int:
    """Recompute every day row from ``survey_facts`` for zone ``tz`` and record the zone; rows written.

    ``survey_fact_team_days`` follows as the sum of the agent rows (exact: a sum of sums). Runs in the
    caller's transaction.
    """
    s.execute(delete(D))
    s.execute(insert(D).from_select(_TARGET, _grouped(tz, s.get_bind().dialect.name, None, with_last=True)))
    s.execute(delete(T))
    s.execute(insert(T).from_select(["day", "team_id", *NAMES], select(
        D.c.day, D.c.team_id, *(func.sum(D.c[name]) for name in NAMES)).group_by(D.c.day, D.c.team_id)))
    set_zone(s, tz)
    return int(s.scalar(select(func.count()).select_from(D)) or 0)


def verify(s: Session) -> list[str]:
    """Every difference between the rows of both day tables and a recount from ``survey_facts`` (empty: they agree).

    Rows whose ``invited`` is 0 count as absent (they add nothing). The team
    rows are checked against the recount summed per day and team. Read only.
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
    team_recount: dict[tuple, list[int]] = {}
    for (day, _agent, team_id), values in recount.items():
        sums = team_recount.setdefault((day, team_id), [0] * len(NAMES))
        for i, v in enumerate(values[1:]):
            sums[i] += int(v)
    team_stored = {(r[0], r[1]): [int(v) for v in r[2:]] for r in s.execute(
        select(T.c.day, T.c.team_id, *(T.c[c] for c in NAMES)).where(T.c.invited != 0))}
    for team_key in sorted(team_stored.keys() | {k for k, v in team_recount.items() if v[0]}, key=str):
        ta, tb = team_stored.get(team_key), team_recount.get(team_key)
        if ta is None or tb is None:
            bad.append(f"survey_fact_team_days: day {team_key[0]} team {team_key[1]}: "
                       + ("missing" if ta is None else "in the table only"))
            continue
        for name, x, y in zip(NAMES, ta, tb, strict=True):
            if x != y:
                bad.append(f"survey_fact_team_days: day {team_key[0]} team {team_key[1]}: {name} table={x!r} recount={y!r}")
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


def team_sums(spans: Iterable[tuple[int, date, date]], *extra: ColumnElement[bool],
              lean: Iterable[int] = ()) -> Select:
    """:func:`day_sums` per team from ``survey_fact_team_days``: index, team id (NULL for none), then :data:`NAMES`."""
    lean = set(lean)

    def one(i: int, first: date, stop: date) -> Select:
        team = case((T.c.team_id == NO_TEAM, null()), else_=T.c.team_id)
        return (select(literal(i), team,
                       *(func.sum(T.c[name]) if i not in lean or name in CHANGE_NAMES else literal(0)
                         for name in NAMES))
                .where(T.c.day >= first, T.c.day < stop, *extra)
                .group_by(T.c.team_id)
                .having(func.sum(T.c.invited) > 0))

    parts = [one(i, a, b) for i, a, b in spans]
    if len(parts) == 1:
        return parts[0]
    from sqlalchemy import union_all

    return cast(Select, union_all(*parts))


def summed(s: Session, start: datetime, end: datetime, names: Sequence[str], by: str | None = None,
           team_ids: Collection[int] | None = None) -> dict[object, list[int]]:
    """The measures ``names`` summed over ``[start, end)``, per ``by`` (``agent_id``, ``team_id``) or in total.

    Whole local days come from the day rows, the edges (and everything
    before the table is built) from the fact rows, as :func:`split` says.
    Keys are agent ids, team ids (None: no team) or None for the total;
    groups without surveys are left out. ``team_ids``: only calls of these teams. Team and centre sums
    read ``survey_fact_team_days``, per-agent sums ``survey_fact_days``.
    """
    part = split(built_zone(s), start, end)
    spans = [(start, end)] if part is None else list(part.edges)
    out: dict[object, list[int]] = {}

    def add(key: object, values: Sequence[int]) -> None:
        had = out.setdefault(key, [0] * len(names))
        for i, v in enumerate(values):
            had[i] += int(v or 0)

    if part is not None:
        table = D if by == "agent_id" else T
        key_col = {"agent_id": D.c.credited_agent_id,
                   "team_id": case((T.c.team_id == NO_TEAM, null()), else_=T.c.team_id)}.get(by or "")
        stmt = (select(*([key_col] if key_col is not None else []), func.sum(table.c.invited),
                       *(func.sum(table.c[n]) for n in names))
                .where(table.c.day >= part.first, table.c.day < part.stop))
        if team_ids is not None:
            stmt = stmt.where(table.c.team_id.in_(list(team_ids)))
        if by is not None:
            stmt = stmt.group_by(D.c.credited_agent_id if by == "agent_id" else T.c.team_id)
        for row in s.execute(stmt):
            key, invited, values = (row[0], row[1], row[2:]) if by else (None, row[0], row[1:])
            if invited:
                add(key, values)
    measures = dict(MEASURES)
    for a, b in spans:
        rows = fact_rows(a, b)
        if team_ids is not None:
            rows = rows.where(F.c.team_id.in_(list(team_ids)))
        f = rows.subquery()
        stmt = select(*([f.c[by]] if by else []), func.count(), *(measures[n](f) for n in names))
        if by is not None:
            stmt = stmt.group_by(f.c[by])
        for row in s.execute(stmt):
            key, invited, values = (row[0], row[1], row[2:]) if by else (None, row[0], row[1:])
            if invited:
                add(key, values)
    return out


def daily(s: Session, tz: str, days: Sequence[tuple[date, datetime, datetime]], names: Sequence[str], *,
          agent_id: str | None = None, team_id: int | None = None) -> dict[date, list[int]] | None:
    """The measures ``names`` per local day of ``tz`` from the day rows (of ``agent_id``'s and/or ``team_id``'s
    calls when given), or None when the day rows are keyed by another zone or not built (the caller then
    counts the fact rows). Without an agent the team rows are read (~50 a day instead of ~1,000)."""
    if not days or built_zone(s) != tz:
        return None
    whole = split(tz, days[0][1], days[-1][2])
    if whole is None or whole.edges or (whole.first, whole.stop) != (days[0][0], days[-1][0] + timedelta(days=1)):
        return None
    table = D if agent_id is not None else T
    where = ([D.c.credited_agent_id == agent_id] if agent_id is not None else []) + (
        [table.c.team_id == team_id] if team_id is not None else [])
    stmt = (select(table.c.day, *(func.sum(table.c[n]) for n in names))
            .where(table.c.day >= days[0][0], table.c.day <= days[-1][0], *where).group_by(table.c.day))
    out: dict[date, list[int]] = {}
    for day, *values in s.execute(stmt):
        out[day if isinstance(day, date) else date.fromisoformat(str(day))] = [int(v or 0) for v in values]
    return out
