"""The scoring core: attributed KPIs per agent, per team and for the centre, for one period.

The database does the counting: one GROUP BY over the period's rows of the
fact table ``survey_facts`` (per credited agent and call team, with CASE
counts per bucket and sums of the late and superseded ratings). The few resulting group rows are added
up into agents (over their teams), teams (``calls.team_id``, the team on the
call's date, so a move never moves past ratings) and the centre; a call
without a team counts for its agent and the centre only.

Public API: :func:`score_period` → :class:`Scoreboard` of
:class:`bot.scoring.kpi.Kpi` rows (``.to_dict()`` gives the contract's
field names); :func:`score_scope` → the same rows for one agent or some
teams' agents only (what a staff page shows), with every team row and the
centre from the team day sums: a page no longer adds up every agent.
"""
from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, Select, and_, case, func, literal, select, text, union_all
from sqlalchemy.orm import Session

from bot.db.models import Agent
from bot.db.staff import Team
from bot.ledger import day_counts
from bot.ledger.per_survey import (
    FACTS,
    fact_rows,
    survey_facts,
)
from bot.scoring.kpi import (
    CENTRE_ID,
    LEVEL_AGENT,
    LEVEL_CENTRE,
    LEVEL_TEAM,
    NON_STAFF_CODES,
    VERDICT_INSUFFICIENT,
    VERDICT_OK,
    Change,
    Counts,
    Kpi,
    competition_ranks,
)
from bot.scoring.periods import Period, parse_period

GroupKey = tuple[str, int | None]  # (credited agent id, call team id)


class UnknownEntity(LookupError):
    """An agent id or team name that is not in the database."""


@dataclass(frozen=True)
class _Group:
    counts: Counts
    last_ended: datetime | None


#: Where the per-survey rows come from: ``(start, end) -> Select`` with :func:`bot.ledger.per_survey.per_survey`'s
#: column names. Scoring reads the fact table; the direct query is the reference it is checked against.
RowSource = Callable[[datetime, datetime], Select]


def _counts(f) -> list[ColumnElement]:
    """The aggregates of one KPI group over per-survey rows ``f``: the latest end, then every measure."""
    return [func.max(f.c.ended_at), *(measure(f) for _, measure in day_counts.MEASURES)]


_PLAIN = tuple(f.name for f in fields(Counts) if f.name != "non_staff_by_cause")
#: Positions in :data:`bot.ledger.day_counts.NAMES` of the plain counts and of the non-staff causes.
_AT = tuple(day_counts.NAMES.index(name) for name in _PLAIN)
_CAUSES_AT = tuple(day_counts.NAMES.index(day_counts.cause_column(code)) for code in NON_STAFF_CODES)


def _counts_of(values: Sequence[int]) -> Counts:
    """:class:`Counts` from the measures in :data:`bot.ledger.day_counts.NAMES` order."""
    n = [int(v) for v in values]  # SUM() is a Decimal on PostgreSQL
    return Counts(**{name: n[i] for name, i in zip(_PLAIN, _AT, strict=True)},
                  non_staff_by_cause=tuple(n[i] for i in _CAUSES_AT))


def _per_span(source: RowSource, spans: Sequence[tuple[datetime, datetime]]) -> Select:
    """One GROUP BY per span, joined by UNION ALL: plain keys, so PostgreSQL hash-aggregates a few hundred groups.

    (It cannot estimate the groups of a CASE key and would sort a million rows to disk.)
    """
    def one(i: int, start: datetime, end: datetime) -> Select:
        f = source(start, end).subquery()
        return select(literal(i), f.c.agent_id, f.c.team_id, *_counts(f)).group_by(f.c.agent_id, f.c.team_id)

    return cast(Select, union_all(*(one(i, a, b) for i, (a, b) in enumerate(spans))))


def _one_pass(source: RowSource, spans: Sequence[tuple[datetime, datetime]]) -> Select:
    """One scan of all spans with a CASE "which span" key: SQLite then reads the rows in end-time order
    instead of skip-scanning the agent index with a table lookup per row (2 s instead of 4 s on 1M)."""
    f = source(min(a for a, _ in spans), max(b for _, b in spans)).subquery()
    which = case(*((and_(f.c.ended_at >= a, f.c.ended_at < b), literal(i)) for i, (a, b) in enumerate(spans)),
                 else_=literal(-1))
    return select(which, f.c.agent_id, f.c.team_id, *_counts(f)).group_by(which, f.c.agent_id, f.c.team_id)


def _survey_groups(s: Session, spans: Sequence[tuple[datetime, datetime]], source: RowSource,
                   adjacent: bool = True) -> list[dict[GroupKey, _Group]]:
    """Groups per span from per-survey rows; ``adjacent`` spans may be read in one pass on SQLite."""
    groups: list[dict[GroupKey, _Group]] = [{} for _ in spans]
    if not spans:
        return groups
    shape = _one_pass if adjacent and s.get_bind().dialect.name != "postgresql" else _per_span
    for i, agent_id, team_id, last, *n in s.execute(shape(source, spans)):
        if i >= 0:  # -1: a row between spans (none when they are adjacent)
            groups[i][(agent_id, team_id)] = _Group(_counts_of(n), last)
    return groups


def _merge(into: dict[GroupKey, _Group], key: GroupKey, group: _Group) -> None:
    had = into.get(key)
    if had is None:
        into[key] = group
        return
    lasts = [x for x in (had.last_ended, group.last_ended) if x is not None]
    into[key] = _Group(had.counts + group.counts, max(lasts) if lasts else None)


_UNSET = "?"


def _split_spans(s: Session, spans: Sequence[tuple[datetime, datetime]], zone: str | None = _UNSET
                 ) -> tuple[list[tuple[int, date, date]], list[tuple[int, tuple[datetime, datetime]]]]:
    """Each span's whole local days of the day tables ``(index, first, stop)`` and the rest ``(index, UTC span)``.

    ``zone``: the day tables' zone when the caller read it already (:func:`bot.ledger.day_counts.built_zone`).
    """
    if zone == _UNSET:
        zone = day_counts.built_zone(s)
    whole: list[tuple[int, date, date]] = []
    facts: list[tuple[int, tuple[datetime, datetime]]] = []
    for i, (start, end) in enumerate(spans):
        part = day_counts.split(zone, start, end)
        if part is None:
            facts.append((i, (start, end)))
        else:
            whole.append((i, part.first, part.stop))
            facts.extend((i, edge) for edge in part.edges)
    return whole, facts


def _of_agents(agents: Collection[str] | None) -> RowSource:
    """The fact rows, of ``agents``' calls only when given."""
    if agents is None:
        return fact_rows
    ids = sorted(agents)
    return lambda start, end: fact_rows(start, end).where(FACTS.c.credited_agent_id.in_(ids))


def _day_groups(s: Session, spans: Sequence[tuple[datetime, datetime]], lean: Sequence[int] = (),
                agents: Collection[str] | None = None, zone: str | None = _UNSET) -> list[dict[GroupKey, _Group]]:
    """The groups of each span from the day sums for its whole local days and the fact rows for its edges.

    Spans with no whole day of the day table (or before it is built) are read
    from the facts entirely. ``agents``: only the groups of these agents.
    """
    whole, facts = _split_spans(s, spans, zone)
    groups: list[dict[GroupKey, _Group]] = [{} for _ in spans]
    if agents is not None and not agents:
        return groups
    if whole:
        extra = [] if agents is None else [day_counts.D.c.credited_agent_id.in_(sorted(agents))]
        for i, agent_id, team_id, last, *n in s.execute(day_counts.day_sums(whole, *extra, lean=lean)):
            _merge(groups[i], (agent_id, team_id), _Group(_counts_of(n), last))
    # Edges are short and far apart: one small GROUP BY each, not one pass over the days between them.
    edges = _survey_groups(s, [span for _, span in facts], _of_agents(agents), adjacent=False)
    for (i, _), found in zip(facts, edges, strict=True):
        for key, group in found.items():
            _merge(groups[i], key, group)
    return groups


def _tune(s: Session) -> None:
    # PostgreSQL would JIT-compile the wide CASE aggregate on large tables, which costs more
    # (0.5-2 s) than the query itself; SET LOCAL lasts only for the caller's transaction.
    if s.get_bind().dialect.name == "postgresql":
        s.execute(text("SET LOCAL jit = off"))
        # A month of day rows (~30k × 23 counts) is grouped in memory, not sorted to disk at the default 4 MB.
        s.execute(text("SET LOCAL work_mem = '64MB'"))


def group_counts(s: Session, periods: Sequence[Period], tz: str, source: RowSource = fact_rows,
                 lean: Sequence[int] = ()) -> list[dict[GroupKey, _Group]]:
    """Counts per (credited agent, call team) for each of ``periods`` (adjacent ones), in one query.

    ``lean``: indexes of periods only compared against (``Change``): from the day sums they may come with
    only ``day_counts.CHANGE_NAMES`` counted.

    Returns:
        One mapping per period, in the order given.
    """
    _tune(s)
    spans = [p.bounds(tz) for p in periods]
    if source is fact_rows:  # the stored facts: their day sums where whole days allow
        return _day_groups(s, spans, lean)
    return _survey_groups(s, spans, source)


_FIELDS = tuple(f.name for f in fields(Counts))


def _sum(counts: Iterable[Counts]) -> Counts:
    """The field-wise total (one :class:`Counts` built, not one per addition: a centre adds thousands)."""
    items = list(counts)
    if len(items) == 1:
        return items[0]
    if not items:
        return Counts()
    totals: dict[str, Any] = {}
    for name in _FIELDS:
        values = [getattr(c, name) for c in items]
        totals[name] = tuple(map(sum, zip(*values, strict=True))) if isinstance(values[0], tuple) else sum(values)
    return Counts(**totals)


@dataclass(frozen=True)
class _Rollup:
    agents: dict[str, Counts]
    agent_team: dict[str, int | None]
    teams: dict[int, Counts]
    centre: Counts


def _rollup(groups: dict[GroupKey, _Group]) -> _Rollup:
    agents: dict[str, list[Counts]] = {}
    teams: dict[int, list[Counts]] = {}
    latest: dict[str, tuple[str, int]] = {}
    agent_team: dict[str, int | None] = {}
    for (agent_id, team_id), g in groups.items():
        agents.setdefault(agent_id, []).append(g.counts)
        if team_id is not None:
            teams.setdefault(team_id, []).append(g.counts)
        # The agent's team for the period is the team of their latest call (ties: the higher team id).
        mark = (str(g.last_ended or ""), team_id if team_id is not None else -1)
        if agent_id not in latest or mark > latest[agent_id]:
            latest[agent_id], agent_team[agent_id] = mark, team_id
    return _Rollup(
        agents={a: _sum(cs) for a, cs in agents.items()},
        agent_team=agent_team,
        teams={t: _sum(cs) for t, cs in teams.items()},
        centre=_sum(g.counts for g in groups.values()),
    )


def _ranks(counts: dict, min_sample: int) -> dict:
    """Competition ranks by attributed CSAT among the rows with verdict ``ok`` and a figure."""
    keys = {k: c.attributed_key for k, c in counts.items()
            if c.verdict(min_sample) == VERDICT_OK and c.attributed_key is not None}
    return competition_ranks(keys)


@dataclass(frozen=True)
class Scoreboard:
    """Every KPI row of one period.

    Attributes:
        period: The period scored.
        agents: Agent rows (agents with invited surveys in the period), by id.
        teams: Team rows (teams with calls in the period), by name.
        centre: The centre row.
        agent_names: Every known agent id → name, for rows of agents silent in the period.
        team_names: Every known team name.
    """

    period: Period
    agents: tuple[Kpi, ...]
    teams: tuple[Kpi, ...]
    centre: Kpi
    agent_names: dict[str, str | None]
    team_names: frozenset[str]
    _previous: _Rollup
    _team_ids: dict[str, int]
    #: A board of :func:`score_scope`: the agent and the teams whose agent rows it holds (None: every agent).
    scope: tuple[str | None, frozenset[str]] | None = None

    def rows(self, *, agent_id: str | None = None, team: str | None = None) -> list[Kpi]:
        """Rows to show: all; or one agent + their team + centre; or one team's agents + the team + centre.

        ``team`` selects the agents whose period team (latest call's team) it
        is. An agent or team known but silent in the period gets a row of zeros.

        Raises:
            UnknownEntity: the agent id or team name is not in the database.
            ValueError: a board of :func:`score_scope` asked for rows outside its scope.
        """
        if self.scope is not None:
            scope_agent, scope_teams = self.scope
            if agent_id is not None:  # an unknown id falls through to UnknownEntity
                inside = (agent_id in (scope_agent, *(k.id for k in self.agents))
                          or agent_id not in self.agent_names)
            else:
                inside = team is not None and (team in scope_teams or team not in self.team_names)
            if not inside:
                raise ValueError(f"this board holds the agent rows of {scope_agent!r} and {sorted(scope_teams)} only")
        if agent_id is not None:
            if agent_id not in self.agent_names:
                raise UnknownEntity(f"unknown agent {agent_id!r}")
            row = next((k for k in self.agents if k.id == agent_id), None) or self._silent(LEVEL_AGENT, agent_id)
            teams = [k for k in self.teams if k.id == row.team]
            return [row, *teams, self.centre]
        if team is not None:
            if team not in self.team_names:
                raise UnknownEntity(f"unknown team {team!r}")
            team_row = next((k for k in self.teams if k.id == team), None) or self._silent(LEVEL_TEAM, team)
            return [*(k for k in self.agents if k.team == team), team_row, self.centre]
        return [*self.agents, *self.teams, self.centre]

    def _silent(self, level: str, key: str) -> Kpi:
        if level == LEVEL_AGENT:
            before = self._previous.agents.get(key, Counts())
            name = self.agent_names.get(key)
        else:
            before = self._previous.teams.get(self._team_ids[key], Counts())
            name = key
        prev = self.period.previous().label
        return Kpi(level, key, self.period.label, name, None, Counts(), VERDICT_INSUFFICIENT, None,
                   Change.between(prev, Counts(), before))


def _name(team_names: dict[int, str], team_id: int | None) -> str | None:
    return None if team_id is None else team_names.get(team_id)


def score_period(s: Session, period: Period | str, *, tz: str, min_sample: int) -> Scoreboard:
    """Score every agent, team and the centre for ``period``, with the change against the previous period.

    Args:
        s: Open session (read only).
        period: A :class:`Period` or its string (``2026-11``, ``2026-W47``, ``2026-11-23``, ``FROM..TO``).
        tz: The centre's time zone (``Settings.timezone``).
        min_sample: Counted responses needed for a verdict (``Settings.min_sample``).

    Returns:
        The scoreboard; ``Scoreboard.rows()`` lists its :class:`Kpi` rows.

    Raises:
        bot.scoring.periods.PeriodError: malformed period or time zone.
    """
    return _score(s, period, tz=tz, min_sample=min_sample, source=fact_rows)


def _score_direct(s: Session, period: Period | str, *, tz: str, min_sample: int) -> Scoreboard:
    """:func:`score_period` computed from the source tables, bypassing ``survey_facts``.

    Only for checking the fact table (``feedbackbot facts verify`` and the tests); slow on large data.
    """
    return _score(s, period, tz=tz, min_sample=min_sample, source=survey_facts)


def _facts_only(start: datetime, end: datetime) -> Select:
    """:func:`fact_rows` under another name: :func:`group_counts` then reads the fact rows, not the day sums."""
    return fact_rows(start, end)


def _score_facts(s: Session, period: Period | str, *, tz: str, min_sample: int) -> Scoreboard:
    """:func:`score_period` from the fact rows alone, bypassing ``survey_fact_days`` (``facts verify``)."""
    return _score(s, period, tz=tz, min_sample=min_sample, source=_facts_only)


def _score(s: Session, period: Period | str, *, tz: str, min_sample: int, source: RowSource) -> Scoreboard:
    p = parse_period(period) if isinstance(period, str) else period
    prev_p = p.previous()
    # The previous period only feeds the change (Change.between): its other counts need not be summed.
    now, before = (_rollup(g) for g in group_counts(s, [p, prev_p], tz, source, lean=[1]))
    team_names: dict[int, str] = {i: n for i, n in s.execute(select(Team.id, Team.name))}
    agent_names: dict[str, str | None] = {i: n for i, n in s.execute(select(Agent.id, Agent.name))}
    return _board(p, now, before, team_names, agent_names, min_sample)


def _board(p: Period, now: _Rollup, before: _Rollup, team_names: dict[int, str],
           agent_names: dict[str, str | None], min_sample: int,
           scope: tuple[str | None, frozenset[str]] | None = None) -> Scoreboard:
    """The rows of ``now`` (every agent of it) against ``before``, ranked."""
    prev_p = p.previous()
    team_ranks = _ranks(now.teams, min_sample)
    agent_ranks: dict[str, int] = {}
    by_team: dict[int, dict[str, Counts]] = {}
    for a, c in now.agents.items():
        team_id = now.agent_team[a]
        if team_id is not None:
            by_team.setdefault(team_id, {})[a] = c
    for members in by_team.values():
        agent_ranks.update(_ranks(members, min_sample))

    def row(level: str, key: str, name: str | None, team: str | None, c: Counts, prev: Counts,
            rank: int | None) -> Kpi:
        verdict = c.verdict(min_sample)
        return Kpi(level, key, p.label, name, team, c, verdict, rank if verdict == VERDICT_OK else None,
                   Change.between(prev_p.label, c, prev))

    agents = tuple(
        row(LEVEL_AGENT, a, agent_names.get(a), _name(team_names, now.agent_team[a]), c,
            before.agents.get(a, Counts()), agent_ranks.get(a))
        for a, c in sorted(now.agents.items())
    )
    teams = tuple(sorted(
        (row(LEVEL_TEAM, team_names[t], team_names[t], None, c, before.teams.get(t, Counts()), team_ranks.get(t))
         for t, c in now.teams.items()),
        key=lambda k: k.id,
    ))
    centre = row(LEVEL_CENTRE, CENTRE_ID, None, None, now.centre, before.centre, None)
    return Scoreboard(p, agents, teams, centre, agent_names, frozenset(team_names.values()), before,
                      {n: i for i, n in team_names.items()}, scope)


def _team_counts(s: Session, spans: Sequence[tuple[datetime, datetime]], lean: Sequence[int], zone: str | None
                 ) -> list[dict[int | None, Counts]]:
    """Counts per call team (None: calls without a team) for each span: the team day sums for whole local
    days, the fact rows for the edges (and everything before the day tables are built)."""
    whole, facts = _split_spans(s, spans, zone)
    out: list[dict[int | None, list[Counts]]] = [{} for _ in spans]
    if whole:
        for i, team_id, *n in s.execute(day_counts.team_sums(whole, lean=lean)):
            out[i].setdefault(team_id, []).append(_counts_of(n))
    edges = _survey_groups(s, [span for _, span in facts], fact_rows, adjacent=False)
    for (i, _), found in zip(facts, edges, strict=True):
        for (_agent, team_id), group in found.items():
            out[i].setdefault(team_id, []).append(group.counts)
    return [{t: _sum(cs) for t, cs in per.items()} for per in out]


def _agents_in(s: Session, span: tuple[datetime, datetime], team_ids: Collection[int], zone: str | None
               ) -> set[str]:
    """Every agent with a call of ``team_ids`` in ``span``: whoever may have one of them as period team."""
    if not team_ids:
        return set()
    whole, facts = _split_spans(s, [span], zone)
    D = day_counts.D
    found: set[str] = set()
    for _, first, stop in whole:
        # No DISTINCT: SQLite would then walk the agent index over every agent (17 ms, not 2 ms at 1M ratings).
        found.update(s.scalars(select(D.c.credited_agent_id).where(
            D.c.day >= first, D.c.day < stop, D.c.team_id.in_(sorted(team_ids)), D.c.invited > 0)))
    for _, (start, end) in facts:
        found.update(s.scalars(select(FACTS.c.credited_agent_id).distinct().where(
            FACTS.c.ended_at >= start, FACTS.c.ended_at < end, FACTS.c.team_id.in_(sorted(team_ids)))))
    return found


def score_scope(s: Session, period: Period | str, *, tz: str, min_sample: int, agent_id: str | None = None,
                teams: Collection[str] = ()) -> Scoreboard:
    """The rows a staff page shows: ``agent_id``'s and those of the agents of ``teams``, every team, the centre.

    Each row equals :func:`score_period`'s (figures, period team, rank and
    change): the agents read are every agent with a call of the teams in the
    period (whoever may have one as their latest call's team), with all their
    day rows; team rows, team ranks and the centre come from the team day sums
    (``survey_fact_team_days``, ~50 rows a day), so nothing adds up every
    agent of the centre.

    Args:
        s: Open session (read only).
        period: A :class:`Period` or its string.
        tz: The centre's time zone.
        min_sample: Counted responses needed for a verdict.
        agent_id: An agent whose row (and their team's agents, for the rank) the board must hold.
        teams: Team names whose agents' rows the board must hold.

    Returns:
        A board whose ``rows(agent_id=…)`` and ``rows(team=…)`` answer for that agent and those teams (and
        for the agent's period team); other agents' rows are not in it (``rows()`` refuses).
    """
    p = parse_period(period) if isinstance(period, str) else period
    prev_p = p.previous()
    _tune(s)
    spans = [p.bounds(tz), prev_p.bounds(tz)]
    team_names: dict[int, str] = {i: n for i, n in s.execute(select(Team.id, Team.name))}
    agent_names: dict[str, str | None] = {i: n for i, n in s.execute(select(Agent.id, Agent.name))}
    zone = day_counts.built_zone(s)
    ids_of = {n: i for i, n in team_names.items()}
    team_ids = {ids_of[name] for name in teams if name in ids_of}
    wanted: set[str] = set()
    if agent_id is not None:
        wanted.add(agent_id)
        own = _rollup(_day_groups(s, spans[:1], agents=[agent_id], zone=zone)[0]).agent_team.get(agent_id)
        if own is not None:
            team_ids.add(own)  # the agent's rank is among their period team's agents
    wanted |= _agents_in(s, spans[0], team_ids, zone)
    now_groups, before_groups = _day_groups(s, spans, lean=[1], agents=wanted, zone=zone)
    now_teams, before_teams = _team_counts(s, spans, lean=[1], zone=zone)
    now_all, before_all = _rollup(now_groups), _rollup(before_groups)

    def with_teams(r: _Rollup, per_team: dict[int | None, Counts], keep: bool) -> _Rollup:
        agents = {a: c for a, c in r.agents.items() if not keep or a == agent_id or r.agent_team[a] in team_ids}
        return _Rollup(agents=agents, agent_team={a: r.agent_team[a] for a in agents},
                       teams={t: c for t, c in per_team.items() if t is not None}, centre=_sum(per_team.values()))

    # Agents read only for a team they left before their latest call are not the scope's rows.
    now = with_teams(now_all, now_teams, keep=True)
    before = with_teams(before_all, before_teams, keep=False)
    scope_teams = frozenset(team_names[t] for t in team_ids if t in team_names)
    return _board(p, now, before, team_names, agent_names, min_sample, scope=(agent_id, scope_teams))
