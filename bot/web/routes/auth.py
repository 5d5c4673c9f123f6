"""Staff login and logout, and ``/``: the landing page of each role."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from bot.staff import accounts
from bot.web import messages
from bot.web.auth import (
    HOME_BY_ROLE,
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    CsrfCheck,
    CurrentUser,
    OptionalUser,
    cookie_secure,
    login_csrf_token,
    new_login_nonce,
    now_utc,
    set_session_cookie,
)
from bot.web.deps import SessionDep, SettingsDep
from bot.web.proxies import client_address
from bot.web.templating import templates
from zhtext.clean import has_forbidden

router = APIRouter(include_in_schema=False)
_REFUSALS = {
    accounts.LoginRefusal.INVALID: (messages.LOGIN_INVALID, 401),
    accounts.LoginRefusal.RATE_LIMITED: (messages.LOGIN_RATE_LIMITED, 429),
    accounts.LoginRefusal.DEMO_OUTSIDE_DEVELOPMENT: (messages.LOGIN_DEMO_REFUSED, 403),
    accounts.LoginRefusal.DISABLED: (messages.LOGIN_DISABLED, 403),
    accounts.LoginRefusal.CONTROL_CHARACTERS: (messages.LOGIN_CONTROL_CHARACTERS, 400),
}


def _safe_next(target: str | None) -> str | None:
    """Only same-site paths: ``//evil.example`` or a full URL would be an open redirect."""
    if (target and target.startswith("/") and not target.startswith("//") and "\\" not in target
            and not has_forbidden(target)):
        return target
    return None


def _login_page(request: Request, settings, *, error: str | None = None, notice: str | None = None,
                login_id: str = "", next_url: str | None = None, status: int = 200):
    """The login form with a fresh CSRF nonce cookie and its token in the form."""
    nonce = new_login_nonce()
    request.state.csrf_token = login_csrf_token(settings, nonce)
    response = templates.TemplateResponse(
        request, "login.html",
        {"error": error, "notice": notice, "login_id": login_id, "next_url": next_url or ""},
        status_code=status,
    )
    response.set_cookie(LOGIN_CSRF_COOKIE, nonce, max_age=3600, httponly=True, samesite="lax",
                        secure=cookie_secure(settings), path="/login")
    return response


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, settings: SettingsDep, user: OptionalUser, next: str | None = None,
               bye: int = 0):
    """The login page (a logged-in user goes straight home)."""
    if user is not None:
        return RedirectResponse(_safe_next(next) or user.home, status_code=303)
    return _login_page(request, settings, next_url=_safe_next(next), notice=messages.LOGGED_OUT if bye else None)


@router.post("/login", response_class=HTMLResponse, dependencies=[CsrfCheck])
def login_submit(
    request: Request,
    s: SessionDep,
    settings: SettingsDep,
    login_id: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "",
):
    """Check the password; on success open a session and go to the role's home page."""
    if not login_id.strip() or not password:
        return _login_page(request, settings, error=messages.LOGIN_EMPTY, login_id=login_id,
                           next_url=_safe_next(next), status=400)
    result = accounts.do_login(s, login_id, password, client=client_address(request), now=now_utc(),
                               allow_demo=settings.env == "development")
    if result.refusal is not None:
        text, status = _REFUSALS[result.refusal]
        # A login id with control characters is not shown back in the form.
        shown = "" if result.refusal is accounts.LoginRefusal.CONTROL_CHARACTERS else login_id
        return _login_page(request, settings, error=text, login_id=shown, next_url=_safe_next(next),
                           status=status)
    assert result.agent is not None and result.session_id is not None
    response = RedirectResponse(_safe_next(next) or HOME_BY_ROLE[result.agent.role], status_code=303)
    set_session_cookie(response, settings, result.session_id)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout", dependencies=[CsrfCheck])
def logout(request: Request, s: SessionDep, settings: SettingsDep, user: CurrentUser):
    """End the session (deleted on the server) and return to the login page."""
    accounts.do_logout(s, request.cookies.get(SESSION_COOKIE), now_utc())
    response = RedirectResponse("/login?bye=1", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=cookie_secure(settings))
    return response


@router.get("/")
def home(user: CurrentUser):
    """Send a logged-in user to their role's page."""
    return RedirectResponse(user.home, status_code=303)
