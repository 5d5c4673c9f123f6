"""The admin's page of owners of non-staff causes (/admin/owners): department and contacts per cause."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from bot.notifications import owners
from bot.web import messages
from bot.web.auth import CsrfCheck, RequireAdmin, now_utc
from bot.web.deps import SessionDep, SettingsDep
from bot.web.templating import templates
from bot.web.views.owners import owners_context

router = APIRouter(include_in_schema=False)


@router.get("/admin/owners", response_class=HTMLResponse)
def owners_page(request: Request, s: SessionDep, settings: SettingsDep, user: RequireAdmin, done: str = ""):
    """Every non-staff cause with its owner and the form to set it; the latest digest deliveries."""
    with s.begin():
        context = owners_context(s, settings.timezone)
    notice = {"saved": messages.OWNER_SAVED, "removed": messages.OWNER_REMOVED}.get(done)
    context.update(title=messages.PAGE_OWNERS, notice=notice, error=None, error_cause="")
    return templates.TemplateResponse(request, "staff/owners.html", context)


@router.post("/admin/owners/set", dependencies=[CsrfCheck])
def set_owner(request: Request, s: SessionDep, settings: SettingsDep, user: RequireAdmin, cause: Annotated[str, Form()] = "",
              department: Annotated[str, Form()] = "", emails: Annotated[str, Form()] = "",
              webhook_kind: Annotated[str, Form()] = "", webhook_url: Annotated[str, Form()] = "",
              webhook_secret: Annotated[str, Form()] = "", clear_secret: Annotated[str, Form()] = ""):
    """Create or replace one cause's owner, then back to the page; refused: the page again with what was typed."""
    data = owners.OwnerInput(cause=cause, department=department[:200], emails=emails[:4000],
                             webhook_kind=webhook_kind[:16], webhook_url=webhook_url[:1000],
                             webhook_secret=webhook_secret[:200], clear_secret=clear_secret == "1")
    with s.begin():
        refusal = owners.do_set_owner(s, data, actor=f"admin:{user.agent_id}", now=now_utc())
    if refusal is not None:
        with s.begin():
            context = owners_context(s, settings.timezone, typed=data)
        known = cause if cause in owners.OWNABLE else ""
        context.update(title=messages.PAGE_OWNERS, notice=None, error=messages.OWNER_REFUSALS[refusal.value],
                       error_cause=known)
        return templates.TemplateResponse(request, "staff/owners.html", context)
    return RedirectResponse(f"/admin/owners?done=saved#owner-{cause}", status_code=303)


@router.post("/admin/owners/remove", dependencies=[CsrfCheck])
def remove_owner(s: SessionDep, user: RequireAdmin, cause: Annotated[str, Form()] = ""):
    """Remove one cause's owner."""
    with s.begin():
        owners.do_remove_owner(s, cause, actor=f"admin:{user.agent_id}", now=now_utc())
    return RedirectResponse("/admin/owners?done=removed", status_code=303)
