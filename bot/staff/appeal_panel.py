"""The blind panel of an appeal: who may sit on it, drawing it, and reading its votes.

Conflict of interest (回避): nobody from the agent's team (the call's team
and the agent's current one), not those teams' supervisors, not the person
whose label is appealed, not the agent. Members are staff with role
reviewer, supervisor or admin who have a login. A strict majority of the
panel decides; a panel whose votes are all in without one is split.
"""
from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.db.models import Agent, AuditLog
from bot.db.staff import Account, AppealPanelist, Team
from bot.domain import AppealVote, ReasonSource, Role
from bot.staff import roster

#: Roles that may sit on a panel.
PANEL_ROLES: tuple[str, ...] = (Role.REVIEWER.value, Role.SUPERVISOR.value, Role.ADMIN.value)

#: Reason sources set by a person from the staff (their audit actor is ``<kind>:<agent id>``).
_LABELLED_SOURCES = (ReasonSource.REVIEWER.value, ReasonSource.APPEAL.value)


def labeller(s: Session, reason_id: int, source: str) -> str | None:
    """The staff member whose label the reason is (from the audit trail), or None for the model or a customer."""
    if source not in _LABELLED_SOURCES:
        return None
    actor = s.scalar(select(AuditLog.actor).where(AuditLog.entity == "reason", AuditLog.entity_id == str(reason_id),
                                                  AuditLog.action == "created").limit(1))
    if not actor or ":" not in actor:
        return None
    return actor.split(":", 1)[1] or None


@dataclass(frozen=True)
class Conflicts:
    """The people an appeal must not be decided by, and why (for the audit row)."""

    teams: frozenset[int]
    members: frozenset[str]
    supervisors: frozenset[str]
    labeller: str | None
    agent_id: str

    def excluded(self) -> frozenset[str]:
        """Every excluded agent id."""
        labelled = {self.labeller} if self.labeller else set()
        return self.members | self.supervisors | {self.agent_id} | frozenset(labelled)


def conflicts(s: Session, *, agent_id: str, call_team_id: int | None, labelled_by: str | None) -> Conflicts:
    """The conflicts of an appeal by ``agent_id`` on a call of ``call_team_id``."""
    current = roster.open_membership(s, agent_id)
    teams = {t for t in (call_team_id, current.team_id if current else None) if t is not None}
    members = set(roster.current_team_members(s, sorted(teams))) if teams else set()
    supervisors = {i for i in s.scalars(select(Team.supervisor_id).where(Team.id.in_(teams))) if i is not None}
    return Conflicts(frozenset(teams), frozenset(members), frozenset(supervisors), labelled_by, agent_id)


def eligible(s: Session, c: Conflicts) -> list[str]:
    """Ids of the staff who may sit on the panel, sorted."""
    ids = s.scalars(select(Agent.id).join(Account, Account.agent_id == Agent.id)
                    .where(Agent.role.in_(PANEL_ROLES)).order_by(Agent.id))
    out = c.excluded()
    return [i for i in ids if i not in out]


def draw(candidates: list[str], size: int, rng: random.Random | None = None) -> list[str] | None:
    """``size`` members drawn at random from ``candidates``; None when there are not enough."""
    if len(candidates) < size:
        return None
    return sorted((rng or random.SystemRandom()).sample(candidates, size))


@dataclass(frozen=True)
class Tally:
    """What the panel's votes say so far.

    Attributes:
        outcome: ``(upheld, cause)`` once a strict majority agrees (an uphold vote counts with its cause), else None.
        split: All votes are in and no option has a majority (e.g. 1-1-1 on causes, or a tie).
        votes: Votes cast; size: members drawn.
    """

    outcome: tuple[bool, str | None] | None
    split: bool
    votes: int
    size: int


def tally(panel: list[AppealPanelist]) -> Tally:
    """Count the votes of ``panel``: the option ``reject`` or ``uphold`` with one cause, strict majority."""
    cast = [p for p in panel if p.vote is not None]
    options = Counter((p.vote == AppealVote.UPHOLD, p.cause if p.vote == AppealVote.UPHOLD else None) for p in cast)
    majority = len(panel) // 2 + 1
    winner = next((option for option, n in options.items() if n >= majority), None)
    return Tally(winner, winner is None and len(cast) == len(panel), len(cast), len(panel))
