"""The complaint case pages: a handler's list (/cases), one case (/cases/{id}) and its actions."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from bot.cases import workflow
from bot.cases.listing import visible_cases
from bot.cases.policy import levels_of
from bot.db.cases import Case
from bot.web import messages
from bot.web.access import NotFound
from bot.web.auth import CsrfCheck, Forbidden, RequireSupervisor, StaffUser, now_utc
from bot.web.deps import SessionDep, SettingsDep
from bot.web.templating import templates
from bot.web.views.cases import case_details, case_row

router = APIRouter(include_in_schema=False)


def _visible(s, user: StaffUser, case_id: int) -> Case:
    """The case if ``user`` may see it: 404 for an admin asking for an unknown id, 403 otherwise."""
    case = s.get(Case, case_id)
    if case is not None and workflow.may_see(s, case, user.agent_id, user.role):
        return case
    if user.role == "admin" and case is None:
        raise NotFound()
    raise Forbidden()


@router.get("/cases", response_class=HTMLResponse)
def cases(request: Request, s: SessionDep, settings: SettingsDep, user: RequireSupervisor, mine: str = "",
          level: str = "", closed: str = ""):
    """The cases the user may see, overdue first; filters: mine, level, with resolved ones."""
    levels = levels_of(settings)
    now = now_utc()
    wanted = int(level) if level.isdigit() and int(level) < len(levels) else None
    rows = [case_row(s, c, levels, now, settings.timezone)
            for c in visible_cases(s, user.agent_id, user.role, now, mine=bool(mine), level=wanted,
                                   open_only=not closed)]
    context = {"title": messages.PAGE_CASES, "rows": rows, "levels": [lv.name for lv in levels],
               "mine": bool(mine), "level": wanted, "closed": bool(closed)}
    return templates.TemplateResponse(request, "staff/cases.html", context)


@router.get("/cases/{case_id}", response_class=HTMLResponse)
def case_page(request: Request, s: SessionDep, settings: SettingsDep, user: RequireSupervisor, case_id: int,
              done: str = "", refused: str = ""):
    """One case: the two clocks, the customer's words, the conversation, every step and the handler's forms."""
    with s.begin():
        case = _visible(s, user, case_id)
        workflow.mark_read(s, user.agent_id, case.id, now_utc())
        context = case_details(s, case, levels_of(settings), now_utc(), settings.timezone)
        context.update(title=f"案件 #{case.id} · {messages.PAGE_CASES}",
                       may_handle=workflow.may_handle(s, case, user.agent_id, user.role),
                       notice=messages.CASE_DONE.get(done), refusal=messages.CASE_REFUSALS.get(refused))
    return templates.TemplateResponse(request, "staff/case.html", context)


@router.post("/cases/{case_id}/{action}", dependencies=[CsrfCheck])
def case_action(s: SessionDep, user: RequireSupervisor, case_id: int, action: str,
                note: Annotated[str, Form()] = ""):
    """Acknowledge, answer or resolve a case, then back to its page with the outcome."""
    with s.begin():
        case = _visible(s, user, case_id)
        refusal = workflow.act(s, case, action, actor=user.agent_id, role=user.role, now=now_utc(), note=note)
    outcome = f"done={action}" if refusal is None else f"refused={refusal.code}"
    return RedirectResponse(f"/cases/{case_id}?{outcome}", status_code=303)
