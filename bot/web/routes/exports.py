"""CSV / Excel downloads of every staff table, with the same authorisation as the page that shows it.

``/export/feedback`` (an agent's list: the agent themselves, their supervisor, an admin),
``/export/kpi`` (a team's table or, for an admin, every team), ``/export/causes`` (the cause report).
All take the page's period and ``format=csv|xlsx``.
"""
from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request

from bot.domain import Role
from bot.scoring import agent_feedback
from bot.scoring.board import score_period
from bot.scoring.cause_report import cause_report
from bot.web import messages
from bot.web.access import check_agent, check_team, visible_teams
from bot.web.auth import CurrentUser, RequireSupervisor
from bot.web.deps import SessionDep, SettingsDep
from bot.web.ids import StaffId
from bot.web.templating import templates
from bot.web.views.common import CauseDep, PeriodDep
from bot.web.views.export import check_format, export_response
from bot.web.views.pages import cause_scope, channel_rates, team_cause_reports
from bot.web.views.tables import cause_tables, channel_table, feedback_table, kpi_table

router = APIRouter(prefix="/export", include_in_schema=False)


@router.get("/feedback")
def export_feedback(request: Request, s: SessionDep, settings: SettingsDep, user: CurrentUser, choice: PeriodDep,
                    cause: CauseDep, agent: Annotated[StaffId | Literal[""], Query()] = "", format: str = "xlsx"):
    """An agent's feedback list (default: the user's own), the whole period; a period of more than
    :data:`~bot.scoring.agent_feedback.EXPORT_MAX_ITEMS` replies is refused with a message (a file cut short
    without saying so would pass for the whole list)."""
    check_format(format)
    target = check_agent(s, user, agent or user.agent_id)
    limit = agent_feedback.EXPORT_MAX_ITEMS
    items = agent_feedback.agent_feedback(s, target.id, choice.period, tz=settings.timezone, cause=cause,
                                          limit=limit + 1)
    if len(items) > limit:
        return templates.TemplateResponse(request, "staff_error.html", {
            "title": messages.EXPORT_REFUSED_TITLE, "message": messages.EXPORT_TOO_MANY.format(limit=limit)},
            status_code=400)
    return export_response([feedback_table(items, settings.timezone)], format,
                           f"评价明细-{target.id}-{choice.period.label}",
                           f"feedback-{target.id}-{choice.period.label}")


@router.get("/kpi")
def export_kpi(s: SessionDep, settings: SettingsDep, user: RequireSupervisor, choice: PeriodDep, team: str = "",
               format: str = "xlsx"):
    """A team's KPI table (agents, team, centre); without ``team``: every team the user may see."""
    check_format(format)
    board = score_period(s, choice.period, tz=settings.timezone, min_sample=settings.min_sample)
    if team:
        rows = board.rows(team=check_team(s, user, team))
        rates = channel_rates(s, settings, choice, [team])
    elif user.role == Role.ADMIN:
        rows = [*board.teams, board.centre]
        rates = channel_rates(s, settings, choice, None)
    else:
        teams = visible_teams(s, user)
        rows = [k for t in teams for k in board.rows(team=t)[:-1]] + [board.centre]
        rates = channel_rates(s, settings, choice, teams)
    whose = team or ("全中心" if user.role == Role.ADMIN else "所列团队")
    return export_response([kpi_table(rows), channel_table(rates, f"各渠道回复率-{whose}")], format,
                           f"满意度-{team or '全部团队'}-{choice.period.label}",
                           f"kpi-{'team' if team else 'all'}-{choice.period.label}")


@router.get("/causes")
def export_causes(s: SessionDep, settings: SettingsDep, user: RequireSupervisor, choice: PeriodDep, team: str = "",
                  format: str = "xlsx"):
    """The cause report; its staff part limited to the teams the user may see.

    As on the pages: a supervisor's (or, with ``team``, one team's) non-staff part is of those teams' calls, with
    the centre's figures in labelled columns; an admin without ``team`` gets the centre's.
    """
    check_format(format)
    teams = [check_team(s, user, team)] if team else visible_teams(s, user)
    if team or user.role != Role.ADMIN:
        report, centre = team_cause_reports(s, settings, choice, teams)
        tables = cause_tables(report, teams, centre=centre, scope=cause_scope(teams))
    else:
        tables = cause_tables(cause_report(s, choice.period, tz=settings.timezone), teams)
    return export_response(tables, format, f"原因报告-{team or '全部'}-{choice.period.label}",
                           f"causes-{choice.period.label}")
