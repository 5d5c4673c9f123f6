"""The supervisor's team page (/team), the read-only drill-down to an agent and the cause report block."""
from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse

from bot.scoring.board import score_scope
from bot.web import display, messages
from bot.web.access import check_agent, check_team, visible_teams
from bot.web.auth import RequireSupervisor
from bot.web.deps import SessionDep, SettingsDep
from bot.web.ids import StaffId
from bot.web.templating import templates
from bot.web.views.common import PageDep, PeriodDep
from bot.web.views.pages import agent_context, cause_scope, causes_context, team_blocks

router = APIRouter(include_in_schema=False)


@router.get("/team", response_class=HTMLResponse)
def team(request: Request, s: SessionDep, settings: SettingsDep, user: RequireSupervisor, choice: PeriodDep,
         team: str = ""):
    """The supervisor's teams (an admin's: every team), or one of them with ``?team=``, with the cause report."""
    teams = [check_team(s, user, team)] if team else visible_teams(s, user)
    board = score_scope(s, choice.period, tz=settings.timezone, min_sample=settings.min_sample, teams=teams)
    context = {
        "title": messages.PAGE_TEAM if not team else f"{team} · {messages.PAGE_TEAM}",
        "choice": choice, "blocks": team_blocks(s, settings, user, board, choice, teams),
        "min_sample": settings.min_sample, "query": urlencode(choice.query()), "team": team,
        "bands": display.CSAT_BANDS, "causes_query": urlencode({**choice.query(), **({"team": team} if team else {})}),
        **causes_context(s, settings, choice, teams, scope=cause_scope(teams)),
    }
    return templates.TemplateResponse(request, "staff/team.html", context)


@router.get("/team/agent/{agent_id}", response_class=HTMLResponse)
def team_agent(request: Request, s: SessionDep, settings: SettingsDep, user: RequireSupervisor,
               agent_id: Annotated[StaffId, Path()], choice: PeriodDep, page: PageDep, cause: str = ""):
    """One agent's page, read only (no appeal), for a supervisor of their team or an admin."""
    agent = check_agent(s, user, agent_id)
    context = agent_context(s, settings, agent, choice, cause if cause in display.CAUSE_NAMES else None, own=False,
                            page=page)
    context.update(title=f"{agent.name or agent.id} · 客服评价")
    return templates.TemplateResponse(request, "staff/agent.html", context)
