"""Which teams and agents a staff member may see: the one place the pages and exports ask.

An agent sees only themselves; a supervisor the teams they supervise and
those teams' current members; an admin everything.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.db.models import Agent
from bot.db.staff import Team
from bot.domain import Role
from bot.web.auth import Forbidden, StaffUser, can_see_agent


class NotFound(Exception):
    """An id that does not exist (answered 404 only to those allowed to know)."""


def visible_teams(s: Session, user: StaffUser) -> list[str]:
    """Names of the teams ``user`` may see, sorted (agents: none)."""
    stmt = select(Team.name).order_by(Team.name)
    if user.role == Role.ADMIN:
        return list(s.scalars(stmt))
    if user.role == Role.SUPERVISOR:
        return list(s.scalars(stmt.where(Team.supervisor_id == user.agent_id)))
    return []


def check_team(s: Session, user: StaffUser, team: str) -> str:
    """``team`` if ``user`` may see it; 403 otherwise (404 for an admin asking for an unknown team)."""
    if team in visible_teams(s, user):
        return team
    if user.role == Role.ADMIN:
        raise NotFound()
    raise Forbidden()


def check_agent(s: Session, user: StaffUser, agent_id: str) -> Agent:
    """The agent if ``user`` may see their feedback; 403 otherwise (404 for an admin asking for an unknown id)."""
    agent = s.get(Agent, agent_id)
    if agent is not None and can_see_agent(user, agent_id, s):
        return agent
    if user.role == Role.ADMIN:
        raise NotFound()
    raise Forbidden()


def install(app) -> None:
    """Answer :class:`NotFound` with the staff error page (404)."""
    from fastapi import Request

    from bot.web import messages
    from bot.web.templating import templates

    @app.exception_handler(NotFound)
    async def _not_found(request: Request, _exc: NotFound):
        return templates.TemplateResponse(request, "staff_error.html",
                                          {"title": messages.NOT_FOUND_TITLE, "message": messages.NOT_FOUND},
                                          status_code=404)
