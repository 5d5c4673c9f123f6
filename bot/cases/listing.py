"""Which cases a staff member sees, in the order they should be worked on."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from bot.clock import as_utc
from bot.db.cases import RUNNING, Case
from bot.domain import Role
from bot.staff import roster


def visible_cases(s: Session, agent_id: str, role: str, now: datetime, *, mine: bool = False,
                  level: int | None = None, open_only: bool = True) -> list[Case]:
    """Cases ``agent_id`` may see: admins all, supervisors their teams' and those routed to them, agents none.

    Never a case about the viewer (its credited agent). Ordered: overdue first,
    then by deadline; answered and resolved cases after the running ones.

    Args:
        mine: Only cases whose named handler is the viewer (or, for an admin, the admins' pool).
        level: Only cases at this level.
        open_only: Leave out resolved cases.
    """
    if role not in (Role.ADMIN, Role.SUPERVISOR):
        return []
    stmt = select(Case).where(Case.credited_agent_id != agent_id)
    if role == Role.SUPERVISOR:
        teams = roster.supervised_team_ids(s, agent_id)
        stmt = stmt.where(or_(Case.handler_id == agent_id, Case.team_id.in_(teams)) if teams
                          else Case.handler_id == agent_id)
    if mine:
        stmt = stmt.where(Case.handler_id == agent_id if role == Role.SUPERVISOR
                          else or_(Case.handler_id == agent_id, Case.handler_id.is_(None)))
    if level is not None:
        stmt = stmt.where(Case.level == level)
    if open_only:
        stmt = stmt.where(Case.status != "resolved")
    cases = list(s.scalars(stmt))

    def order(c: Case) -> tuple[bool, bool, datetime, int]:
        running = c.status in RUNNING
        return (not running, not (running and as_utc(c.due_at) <= now), as_utc(c.due_at), c.id)

    return sorted(cases, key=order)
