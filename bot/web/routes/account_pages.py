"""The admin's accounts page (/admin/accounts): add staff, set roles, disable/enable, set passwords."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from bot.staff import accounts
from bot.web import messages
from bot.web.auth import CsrfCheck, RequireAdmin, now_utc
from bot.web.deps import SessionDep, SettingsDep
from bot.web.templating import templates
from bot.web.views.common import local_time

router = APIRouter(include_in_schema=False)


def _done(refusal: accounts.AccountRefusal | None) -> RedirectResponse:
    outcome = "done=1" if refusal is None else f"refused={refusal.value}"
    return RedirectResponse(f"/admin/accounts?{outcome}", status_code=303)


@router.get("/admin/accounts", response_class=HTMLResponse)
def accounts_page(request: Request, s: SessionDep, settings: SettingsDep, user: RequireAdmin, done: str = "",
                  refused: str = ""):
    """Every staff member with role and login state, and the forms to change them."""
    with s.begin():
        rows = accounts.account_rows(s)
    return templates.TemplateResponse(request, "staff/accounts.html", {
        "title": messages.PAGE_ACCOUNTS, "rows": rows, "notice": messages.ACCOUNT_DONE if done else None,
        "error": messages.ACCOUNT_REFUSALS.get(refused), "time": lambda v: local_time(v, settings.timezone),
        "min_password": accounts.MIN_PASSWORD_CHARS})


@router.post("/admin/accounts/add", dependencies=[CsrfCheck])
def add(s: SessionDep, user: RequireAdmin, agent_id: Annotated[str, Form()] = "", name: Annotated[str, Form()] = "",
        role: Annotated[str, Form()] = "", password: Annotated[str, Form()] = ""):
    with s.begin():
        refusal = accounts.do_add_staff(s, agent_id=agent_id, name=name, role=role, password=password,
                                        actor=f"admin:{user.agent_id}", now=now_utc())
    return _done(refusal)


@router.post("/admin/accounts/role", dependencies=[CsrfCheck])
def set_role(s: SessionDep, user: RequireAdmin, agent_id: Annotated[str, Form()], role: Annotated[str, Form()]):
    with s.begin():
        refusal = accounts.do_set_role(s, agent_id=agent_id, role=role, actor_id=user.agent_id, now=now_utc())
    return _done(refusal)


@router.post("/admin/accounts/disabled", dependencies=[CsrfCheck])
def set_disabled(s: SessionDep, user: RequireAdmin, agent_id: Annotated[str, Form()],
                 disabled: Annotated[str, Form()]):
    with s.begin():
        refusal = accounts.do_set_disabled(s, agent_id=agent_id, disabled=disabled == "1", actor_id=user.agent_id,
                                           now=now_utc())
    return _done(refusal)


@router.post("/admin/accounts/password", dependencies=[CsrfCheck])
def set_password(s: SessionDep, user: RequireAdmin, agent_id: Annotated[str, Form()],
                 password: Annotated[str, Form()] = ""):
    with s.begin():
        refusal = accounts.do_set_password(s, agent_id=agent_id, password=password, actor_id=user.agent_id,
                                           now=now_utc())
    return _done(refusal)
