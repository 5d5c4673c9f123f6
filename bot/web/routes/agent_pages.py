"""The agent's own page (/me): KPI cards, the trend chart, their feedback list and the appeal form."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from bot.db.models import Agent
from bot.staff import appeals
from bot.web import messages
from bot.web.auth import CsrfCheck, CurrentUser, now_utc
from bot.web.deps import SessionDep, SettingsDep
from bot.web.ids import RowId
from bot.web.templating import templates
from bot.web.views.appeals import my_appeals_context
from bot.web.views.common import CauseDep, PageDep, PeriodDep
from bot.web.views.pages import agent_context
from zhtext.clean import has_forbidden

router = APIRouter(include_in_schema=False)


@router.get("/me", response_class=HTMLResponse)
def me(request: Request, s: SessionDep, settings: SettingsDep, user: CurrentUser, choice: PeriodDep,
       cause: CauseDep, page: PageDep, notice: str = "", refused: str = ""):
    """The logged-in staff member's own KPIs and feedback."""
    agent = s.get(Agent, user.agent_id)
    assert agent is not None  # the session's staff member exists (sessions are of agents' rows)
    context = agent_context(s, settings, agent, choice, cause, own=True, page=page)
    refusal = messages.APPEAL_REFUSALS.get(refused)
    context.update(title=messages.PAGE_ME, notice=messages.APPEAL_STORED if notice == "appeal" else None,
                   refusal=refusal.format(days=settings.appeal_window_days) if refusal else None,
                   **my_appeals_context(s, settings, agent.id))
    return templates.TemplateResponse(request, "staff/agent.html", context)


@router.post("/me/appeals", dependencies=[CsrfCheck])
def appeal(s: SessionDep, settings: SettingsDep, user: CurrentUser, reason_id: Annotated[RowId, Form()],
           text: Annotated[str, Form()] = "", back: Annotated[str, Form()] = ""):
    """File an appeal against one of the agent's own staff attributions, then back to /me with the result."""
    with s.begin():
        result = appeals.do_file_appeal(s, agent_id=user.agent_id, reason_id=reason_id, text=text, now=now_utc(),
                                        policy=appeals.AppealPolicy.from_settings(settings))
    outcome = "notice=appeal" if result.refusal is None else f"refused={result.refusal.value}"
    # ``back`` is only ever our own query string: drop anything that could leave the page.
    query = back if back and all(ch not in back for ch in "/\\:#") and not has_forbidden(back) else ""
    return RedirectResponse(f"/me?{query + '&' if query else ''}{outcome}", status_code=303)
