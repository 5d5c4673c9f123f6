"""PLACEHOLDER landing pages of each role (/me, /team, /admin), to be replaced by the real staff pages.

They exist so the login redirects and the role dependencies can be tested
end to end; the agent, supervisor and admin pages replace this module.
"""
from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from bot.web.auth import CurrentUser, RequireAdmin, RequireSupervisor
from bot.web.templating import templates

router = APIRouter(include_in_schema=False)


def _page(request: Request, title: str):
    return templates.TemplateResponse(request, "staff_placeholder.html", {"title": title})


@router.get("/me", response_class=HTMLResponse)
def me(request: Request, user: CurrentUser):
    """Placeholder of the agent's own page."""
    return _page(request, "我的评价")


@router.get("/team", response_class=HTMLResponse)
def team(request: Request, user: RequireSupervisor):
    """Placeholder of the supervisor's team page."""
    return _page(request, "团队评价")


@router.get("/admin", response_class=HTMLResponse)
def admin(request: Request, user: RequireAdmin):
    """Placeholder of the admin page."""
    return _page(request, "全部团队")
