"""The admin page (/admin): every team, the centre, the centre's cause report and the open appeals."""
from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from bot.services.appeals import open_appeals
from bot.services.scoring import score_period
from bot.web import labels, messages
from bot.web.access import visible_teams
from bot.web.auth import RequireAdmin
from bot.web.deps import SessionDep, SettingsDep
from bot.web.routes.team_pages import causes_context
from bot.web.staff_views import PeriodDep, explain, local_time
from bot.web.templating import templates

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
        "query": urlencode(choice.query()), "appeals": open_appeals(s), "bands": labels.CSAT_BANDS,
        "time": lambda v: local_time(v, settings.timezone),
        **causes_context(s, settings, choice, teams),
    }
    return templates.TemplateResponse(request, "staff/admin.html", context)
