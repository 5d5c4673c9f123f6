"""The staff roster: agents with their role, teams with their supervisor, team membership with history.

An agent belongs to one team at a time. A move closes the open
``team_memberships`` row (``valid_to`` = the move) and opens the next one, so
a call keeps the team of its date (``team_at``). Every change writes an audit
row; importing the same roster again changes nothing and writes nothing.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.csvfile import BadRow, Problems, read_rows
from bot.db.audit import audit
from bot.db.models import Agent
from bot.db.staff import Team, TeamMembership
from bot.domain import Role
from bot.ledger.teams import team_at  # noqa: F401 - the roster's own question, answered where calls ask it

COLUMNS = ("agent_id", "name", "team", "supervisor_id", "role")
MAX_ID_CHARS = 64
_SUPERVISING_ROLES = (Role.SUPERVISOR.value, Role.ADMIN.value)


# --- teams and membership ----------------------------------------------------

def open_membership(s: Session, agent_id: str) -> TeamMembership | None:
    """The agent's current (open) membership, if any."""
    m = TeamMembership
    return s.scalar(select(m).where(m.agent_id == agent_id, m.valid_to.is_(None)).limit(1))


def ensure_team(s: Session, name: str, now: datetime, actor: str) -> Team:
    """The team called ``name``, created (with an audit row) when new."""
    team = s.scalar(select(Team).where(Team.name == name))
    if team is None:
        team = Team(name=name, created_at=now)
        s.add(team)
        s.flush()
        audit(s, at=now, actor=actor, entity="team", entity_id=team.id, action="created", name=name)
    return team


def set_supervisor(s: Session, team: Team, supervisor_id: str | None, now: datetime, actor: str) -> None:
    """Make ``supervisor_id`` the team's supervisor; no-op when unchanged."""
    if team.supervisor_id == supervisor_id:
        return
    audit(s, at=now, actor=actor, entity="team", entity_id=team.id, action="supervisor_changed",
          old=team.supervisor_id, new=supervisor_id)
    team.supervisor_id = supervisor_id


def move_to_team(s: Session, agent_id: str, team: Team, now: datetime, actor: str) -> bool:
    """Put the agent in ``team`` from ``now``: closes the open membership and opens a new one.

    Returns:
        True when something changed (False when already in that team).
    """
    current = open_membership(s, agent_id)
    if current is not None and current.team_id == team.id:
        return False
    if current is not None:
        current.valid_to = now
        audit(s, at=now, actor=actor, entity="team_membership", entity_id=current.id, action="closed",
              agent=agent_id, team=current.team_id)
    new = TeamMembership(agent_id=agent_id, team_id=team.id, valid_from=now)
    s.add(new)
    s.flush()
    audit(s, at=now, actor=actor, entity="team_membership", entity_id=new.id, action="opened",
          agent=agent_id, team=team.id, previous_team=current.team_id if current else None)
    return True


def supervised_team_ids(s: Session, supervisor_id: str) -> list[int]:
    """Ids of the teams ``supervisor_id`` supervises."""
    return list(s.scalars(select(Team.id).where(Team.supervisor_id == supervisor_id)))


def current_team_members(s: Session, team_ids: list[int]) -> list[str]:
    """Agent ids currently (open membership) in any of ``team_ids``."""
    m = TeamMembership
    return list(s.scalars(select(m.agent_id).where(m.team_id.in_(team_ids), m.valid_to.is_(None))))


# --- roster import ---------------------------------------------------------------

@dataclass(frozen=True)
class RosterRow:
    line: int
    agent_id: str
    name: str
    team: str
    supervisor_id: str
    role: str


@dataclass
class RosterReport:
    """What a roster import did."""

    rows: int = 0
    agents_created: int = 0
    agents_updated: int = 0
    teams_created: int = 0
    moves: int = 0
    bad: list[BadRow] = field(default_factory=list)


def _check_row(line: int, raw: dict[str, str]) -> RosterRow | str:
    """A validated row, or why it is bad."""
    row = RosterRow(line, raw["agent_id"], raw["name"], raw["team"], raw["supervisor_id"], raw["role"].lower())
    if not row.agent_id:
        return "empty agent_id"
    if len(row.agent_id) > MAX_ID_CHARS or len(row.supervisor_id) > MAX_ID_CHARS:
        return f"id longer than {MAX_ID_CHARS} characters"
    if row.role not in {r.value for r in Role}:
        return f"unknown role {raw['role']!r} (expected agent, supervisor, reviewer or admin)"
    if row.supervisor_id == row.agent_id:
        return "supervisor_id is the agent itself"
    if len(row.team) > 64:
        return "team name longer than 64 characters"
    return row


def _select_rows(parsed: list[RosterRow], problems: Problems) -> list[RosterRow]:
    """Drop exact duplicates, report conflicting duplicates (the first one wins)."""
    first: dict[str, RosterRow] = {}
    kept: list[RosterRow] = []
    for row in parsed:
        seen = first.get(row.agent_id)
        if seen is None:
            first[row.agent_id] = row
            kept.append(row)
        elif (seen.name, seen.team, seen.supervisor_id, seen.role) != (row.name, row.team, row.supervisor_id, row.role):
            problems.add(row.line, f"duplicate agent_id {row.agent_id!r} with conflicting data (first at line {seen.line})")
    return kept


def _check_supervisors(s: Session, rows: list[RosterRow], problems: Problems) -> list[RosterRow]:
    """Keep rows whose supervisor exists (in the file or the database) and can supervise; one supervisor per team."""
    roles = {r.agent_id: r.role for r in rows}
    wanted = {r.supervisor_id for r in rows if r.supervisor_id and r.supervisor_id not in roles}
    if wanted:
        roles.update(dict(s.execute(select(Agent.id, Agent.role).where(Agent.id.in_(wanted))).all()))
    claimed: dict[str, tuple[str, int]] = {}
    kept: list[RosterRow] = []
    for row in rows:
        if row.supervisor_id:
            role = roles.get(row.supervisor_id)
            if role is None:
                problems.add(row.line, f"supervisor_id {row.supervisor_id!r} is neither in the file nor in the database")
                continue
            if role not in _SUPERVISING_ROLES:
                problems.add(row.line, f"supervisor_id {row.supervisor_id!r} has role {role!r}, not supervisor/admin")
                continue
            if row.team:
                sup, line = claimed.setdefault(row.team, (row.supervisor_id, row.line))
                if sup != row.supervisor_id:
                    problems.add(row.line, f"team {row.team!r} already has supervisor {sup!r} (line {line})")
                    continue
        kept.append(row)
    return kept


def _upsert_agent(s: Session, row: RosterRow, now: datetime, actor: str, report: RosterReport) -> None:
    agent = s.get(Agent, row.agent_id)
    name = row.name or None
    if agent is None:
        s.add(Agent(id=row.agent_id, name=name, role=row.role, created_at=now))
        s.flush()
        audit(s, at=now, actor=actor, entity="agent", entity_id=row.agent_id, action="created",
              name=name, role=row.role)
        report.agents_created += 1
        return
    changes = {k: [old, new] for k, old, new in (("name", agent.name, name), ("role", agent.role, row.role))
               if old != new and not (k == "name" and new is None)}
    if changes:
        audit(s, at=now, actor=actor, entity="agent", entity_id=agent.id, action="updated", **changes)
        for k, (_, new) in changes.items():
            setattr(agent, k, new)
        report.agents_updated += 1


def import_roster(s: Session, path: str | Path, *, now: datetime, actor: str = "roster-import") -> RosterReport:
    """Import a roster CSV (``agent_id,name,team,supervisor_id,role``) in the caller's transaction.

    Bad rows are reported by line and skipped; the rest is imported.
    Idempotent: the same file again changes nothing and writes no audit row.

    Raises:
        CsvFormatError: the file cannot be read or lacks a column.
    """
    report = RosterReport()
    problems = Problems()
    parsed: list[RosterRow] = []
    for line, raw in read_rows(path, COLUMNS, COLUMNS):
        report.rows += 1
        checked = _check_row(line, raw)
        if isinstance(checked, str):
            problems.add(line, checked)
        else:
            parsed.append(checked)
    rows = _check_supervisors(s, _select_rows(parsed, problems), problems)
    for row in rows:
        _upsert_agent(s, row, now, actor, report)
    teams: dict[str, Team] = {}
    for row in rows:
        if row.team and row.team not in teams:
            existed = s.scalar(select(Team.id).where(Team.name == row.team)) is not None
            teams[row.team] = ensure_team(s, row.team, now, actor)
            report.teams_created += not existed
    for row in rows:
        if row.team:
            team = teams[row.team]
            if row.supervisor_id:
                set_supervisor(s, team, row.supervisor_id, now, actor)
            report.moves += move_to_team(s, row.agent_id, team, now, actor)
    report.bad = sorted(problems.rows, key=lambda b: b.line)
    return report
