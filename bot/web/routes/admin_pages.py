"""The admin page (/admin): every team, the centre, the centre's cause report and the open appeals."""
from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from bot.scoring.board import score_period
from bot.staff.appeal_cases import open_appeals
from bot.web import display, messages
from bot.web.access import visible_teams
from bot.web.auth import RequireAdmin
from bot.web.deps import SessionDep, SettingsDep
from bot.web.templating import templates
from bot.web.views.common import PeriodDep, explain, local_time
from bot.web.views.pages import causes_context, channel_rates

router = APIRouter(include_in_schema=False)


@router.get("/admin", response_class=HTMLResponse)
def admin(request: Request, s: SessionDep, settings: SettingsDep, user: RequireAdmin, choice: PeriodDep):
    """All teams with drill-down, the centre row, the cause report and the open appeals."""
    teams = visible_teams(s, user)
    board = score_period(s, choice.period, tz=settings.timezone, min_sample=settings.min_sample)
    team_rows = list(board.teams)
    context = {
        "title": messages.PAGE_ADMIN, "choice": choice, "team_rows": team_rows, "centre": board.centre,
        "explanation": explain(board.centre.counts, "员工的"), "min_sample": settings.min_sample,
        "query": urlencode(choice.query()), "appeals": open_appeals(s), "bands": display.CSAT_BANDS,
        "time": lambda v: local_time(v, settings.timezone), "causes_query": urlencode(choice.query()),
        "channels": channel_rates(s, settings, choice, None),
        **causes_context(s, settings, choice, teams),
    }
    return templates.TemplateResponse(request, "staff/admin.html", context)
