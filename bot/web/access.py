"""Which teams, agents and surveys a staff member may see: the one place the pages and exports ask.

An agent sees only themselves; a supervisor the teams they supervise and
those teams' current members; an admin everything. A survey (its page,
``/surveys/{id}``) is seen by whoever may see its credited agent, by the
supervisor of the team the call counts for, and by reviewers (they label any
survey's reasons); a member of an appeal panel on the survey sees it blind.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.db.models import Agent, Call, Survey
from bot.db.staff import Team
from bot.domain import Role
from bot.staff import roster
from bot.staff.appeal_cases import sits_on_panel_of_survey
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


@dataclass(frozen=True)
class SurveyAccess:
    """A survey ``user`` may open, and whether they see it blind (an appeal panel member: no agent, no call id)."""

    survey: Survey
    call: Call
    blind: bool


def check_survey(s: Session, user: StaffUser, survey_id: int) -> SurveyAccess:
    """The survey if ``user`` may see it; 403 otherwise (404 for an admin or reviewer asking for an unknown id).

    Allowed: admins and reviewers; the call's credited agent; a supervisor who may see that agent
    (:func:`can_see_agent`) or who supervises the team the call counts for (``calls.team_id``).
    Anyone drawn for an appeal panel on the survey sees it blind, admins included (as on the appeal page).
    """
    survey = s.get(Survey, survey_id)
    if survey is None:
        if user.role in (Role.ADMIN, Role.REVIEWER):
            raise NotFound()
        raise Forbidden()
    call = survey.call
    allowed = (user.role in (Role.ADMIN, Role.REVIEWER) or call.credited_agent_id == user.agent_id
               or (user.role == Role.SUPERVISOR
                   and (can_see_agent(user, call.credited_agent_id, s)
                        or (call.team_id is not None and call.team_id in roster.supervised_team_ids(s, user.agent_id)))))
    if not allowed:
        raise Forbidden()
    return SurveyAccess(survey, call, sits_on_panel_of_survey(s, user.agent_id, survey.id))


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
