"""The agent's own page (/me): KPI cards, the trend chart, their feedback list and the appeal form."""
from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.orm import Session

from bot.db.models import Agent
from bot.services import appeals, feedback
from bot.services.cause_report import daily_series
from bot.services.scoring import score_period
from bot.settings import Settings
from bot.web import messages
from bot.web.auth import CsrfCheck, CurrentUser, now_utc
from bot.web.deps import SessionDep, SettingsDep
from bot.web.staff_views import CauseDep, PeriodChoice, PeriodDep, explain, local_time
from bot.web.templating import templates

router = APIRouter(include_in_schema=False)


def agent_context(s: Session, settings: Settings, agent: Agent, choice: PeriodChoice, cause: str | None, *,
                  own: bool) -> dict[str, Any]:
    """Everything the agent page shows for ``agent`` (``own``: the agent themselves, who may appeal)."""
    tz = settings.timezone
    # Read only: the request's session rolls back its implicit transaction at the end.
    board = score_period(s, choice.period, tz=tz, min_sample=settings.min_sample)
    row = board.rows(agent_id=agent.id)[0]
    series = daily_series(s, choice.period, tz=tz, agent_id=agent.id)
    items = feedback.agent_feedback(s, agent.id, choice.period, tz=tz, cause=cause)
    query = {**choice.query(), **({"cause": cause} if cause else {})}
    return {
        "agent": agent, "row": row, "own": own, "choice": choice, "cause": cause,
        "explanation": explain(row.counts, "您的" if own else "该客服的"), "whose": "您的" if own else "该客服的",
        "series": [p.to_dict() for p in series], "items": items, "max_items": feedback.MAX_ITEMS,
        "min_sample": settings.min_sample, "time": lambda v: local_time(v, tz),
        "query": urlencode(query),
        "export_query": urlencode({**query, "agent": agent.id}),
    }


@router.get("/me", response_class=HTMLResponse)
def me(request: Request, s: SessionDep, settings: SettingsDep, user: CurrentUser, choice: PeriodDep,
       cause: CauseDep, notice: str = "", refused: str = ""):
    """The logged-in staff member's own KPIs and feedback."""
    agent = s.get(Agent, user.agent_id)
    assert agent is not None  # the session's staff member exists (sessions are of agents' rows)
    context = agent_context(s, settings, agent, choice, cause, own=True)
    context.update(title=messages.PAGE_ME, notice=messages.APPEAL_STORED if notice == "appeal" else None,
                   refusal=messages.APPEAL_REFUSALS.get(refused))
    return templates.TemplateResponse(request, "staff/agent.html", context)


@router.post("/me/appeals", dependencies=[CsrfCheck])
def appeal(s: SessionDep, user: CurrentUser, reason_id: Annotated[int, Form()],
           text: Annotated[str, Form()] = "", back: Annotated[str, Form()] = ""):
    """File an appeal against one of the agent's own staff attributions, then back to /me with the result."""
    with s.begin():
        result = appeals.file_appeal(s, agent_id=user.agent_id, reason_id=reason_id, text=text, now=now_utc())
    outcome = "notice=appeal" if result.refusal is None else f"refused={result.refusal.value}"
    # ``back`` is only ever our own query string: drop anything that could leave the page.
    query = back if back and all(ch not in back for ch in "/\\:#") else ""
    return RedirectResponse(f"/me?{query + '&' if query else ''}{outcome}", status_code=303)
