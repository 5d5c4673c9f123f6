"""The supervisor's team page (/team), the read-only drill-down to an agent and the cause report block."""
from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from bot.services.cause_report import cause_report
from bot.services.scoring import Scoreboard, score_period
from bot.settings import Settings
from bot.web import labels, messages
from bot.web.access import check_agent, check_team, visible_teams
from bot.web.auth import RequireSupervisor, StaffUser, can_see_agent
from bot.web.deps import SessionDep, SettingsDep
from bot.web.routes.agent_pages import agent_context
from bot.web.staff_views import PeriodChoice, PeriodDep, explain
from bot.web.templating import templates

router = APIRouter(include_in_schema=False)


def team_blocks(s: Session, user: StaffUser, board: Scoreboard, teams: list[str]) -> list[dict[str, Any]]:
    """One table per team: the agents (with whether ``user`` may open them) and the team row."""
    blocks = []
    for team in teams:
        *agents, team_row, _centre = board.rows(team=team)
        blocks.append({"name": team, "team_row": team_row, "explanation": explain(team_row.counts, "团队的"),
                       "agents": [(k, can_see_agent(user, k.id, s)) for k in agents]})
    return blocks


def causes_context(s: Session, settings: Settings, choice: PeriodChoice, teams: list[str]) -> dict[str, Any]:
    """The cause report of the period, its staff part limited to ``teams``."""
    report = cause_report(s, choice.period, tz=settings.timezone)
    return {"report": report, "staff_teams": [t for t in teams if t in report.staff_by_team]}


@router.get("/team", response_class=HTMLResponse)
def team(request: Request, s: SessionDep, settings: SettingsDep, user: RequireSupervisor, choice: PeriodDep,
         team: str = ""):
    """The supervisor's teams (an admin's: every team), or one of them with ``?team=``, with the cause report."""
    teams = [check_team(s, user, team)] if team else visible_teams(s, user)
    board = score_period(s, choice.period, tz=settings.timezone, min_sample=settings.min_sample)
    context = {
        "title": messages.PAGE_TEAM if not team else f"{team} · {messages.PAGE_TEAM}",
        "choice": choice, "blocks": team_blocks(s, user, board, teams), "min_sample": settings.min_sample,
        "query": urlencode(choice.query()), "team": team, "bands": labels.CSAT_BANDS,
        **causes_context(s, settings, choice, teams),
    }
    return templates.TemplateResponse(request, "staff/team.html", context)


@router.get("/team/agent/{agent_id}", response_class=HTMLResponse)
def team_agent(request: Request, s: SessionDep, settings: SettingsDep, user: RequireSupervisor,
               agent_id: str, choice: PeriodDep, cause: str = ""):
    """One agent's page, read only (no appeal), for a supervisor of their team or an admin."""
    agent = check_agent(s, user, agent_id)
    context = agent_context(s, settings, agent, choice, cause if cause in labels.CAUSE_NAMES else None, own=False)
    context.update(title=f"{agent.name or agent.id} · 客服评价")
    return templates.TemplateResponse(request, "staff/agent.html", context)
