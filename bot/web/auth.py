"""Staff authentication for HTML routes: session cookie, CSRF check and role dependencies.

A route declares who may use it with an ``Annotated`` dependency::

    @router.get("/team")
    def team(user: RequireSupervisor, s: SessionDep): ...

    @router.post("/appeals", dependencies=[CsrfCheck])
    async def appeal(user: CurrentUser, ...): ...

Not logged in → redirect to ``/login``; wrong role → 403 page; a POST whose
``csrf_token`` form field is missing or wrong → 403 page. Every template gets
``csrf_field()`` (the hidden input) and ``current_user``.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, FastAPI, Request
from fastapi.responses import RedirectResponse
from jinja2 import pass_context
from markupsafe import Markup, escape
from sqlalchemy.orm import Session

from bot.db.models import Agent
from bot.domain import Role
from bot.notifications.inbox import unread_count
from bot.settings import Settings
from bot.staff import accounts, roster
from bot.web import messages
from bot.web.deps import SessionDep, SettingsDep
from bot.web.templating import templates

SESSION_COOKIE = "fb_session"
LOGIN_CSRF_COOKIE = "fb_login_csrf"
CSRF_FIELD = "csrf_token"
HOME_BY_ROLE = {Role.AGENT.value: "/me", Role.SUPERVISOR.value: "/team", Role.REVIEWER.value: "/review",
                Role.ADMIN.value: "/admin"}


@dataclass(frozen=True)
class StaffUser:
    """The logged-in staff member of a request."""

    agent_id: str
    name: str | None
    role: str
    csrf_token: str

    @property
    def home(self) -> str:
        """The landing page of this role."""
        return HOME_BY_ROLE[self.role]


class LoginRequired(Exception):
    """Raised by ``CurrentUser`` when nobody is logged in; answered with a redirect to /login."""


class Forbidden(Exception):
    """Raised when the user's role may not see the page; answered with the 403 page."""


class CsrfFailed(Exception):
    """A POST without the right CSRF token; answered with the 403 page."""


def now_utc() -> datetime:
    """Current time (UTC)."""
    return datetime.now(UTC)


def cookie_secure(settings: Settings) -> bool:
    """Cookies are Secure (HTTPS only) everywhere but development."""
    return settings.env != "development"


def set_session_cookie(response, settings: Settings, session_id: str) -> None:
    """Put the session id into an HttpOnly, SameSite=Lax cookie (Secure outside development)."""
    response.set_cookie(SESSION_COOKIE, session_id, max_age=int(accounts.SESSION_ABSOLUTE.total_seconds()),
                        httponly=True, samesite="lax", secure=cookie_secure(settings), path="/")


def optional_user(request: Request, s: SessionDep) -> StaffUser | None:
    """The logged-in staff member, or None (the result is kept on the request)."""
    if hasattr(request.state, "staff_user"):
        return request.state.staff_user
    user = None
    # A dependency may already have begun the request's transaction: nest then.
    with s.begin_nested() if s.in_transaction() else s.begin():
        row = accounts.session_for(s, request.cookies.get(SESSION_COOKIE), now_utc())
        if row is not None:
            agent = s.get(Agent, row.agent_id)
            if agent is not None:
                user = StaffUser(agent.id, agent.name, agent.role, row.csrf_token)
                # The navigation's inbox count (every unread notification of this person).
                request.state.inbox_count = unread_count(s, agent.id)
    request.state.staff_user = user
    return user


OptionalUser = Annotated[StaffUser | None, Depends(optional_user)]


def current_user(user: OptionalUser) -> StaffUser:
    """The logged-in staff member; redirects to /login when there is none."""
    if user is None:
        raise LoginRequired()
    return user


CurrentUser = Annotated[StaffUser, Depends(current_user)]


def _role_in(*roles: Role):
    allowed = {r.value for r in roles}

    def check(user: CurrentUser) -> StaffUser:
        if user.role not in allowed:
            raise Forbidden()
        return user

    return check


RequireSupervisor = Annotated[StaffUser, Depends(_role_in(Role.SUPERVISOR, Role.ADMIN))]
RequireAdmin = Annotated[StaffUser, Depends(_role_in(Role.ADMIN))]
RequireReviewer = Annotated[StaffUser, Depends(_role_in(Role.REVIEWER, Role.ADMIN))]


def can_see_agent(user: StaffUser, agent_id: str, s: Session) -> bool:
    """Whether ``user`` may see the feedback of ``agent_id``.

    An agent sees only themselves; a supervisor the current members of the
    teams they supervise (and themselves); an admin everyone.
    """
    if user.role == Role.ADMIN:
        return True
    if agent_id == user.agent_id:
        return True
    if user.role == Role.SUPERVISOR:
        teams = roster.supervised_team_ids(s, user.agent_id)
        return bool(teams) and agent_id in roster.current_team_members(s, teams)
    return False


def visible_agents(user: StaffUser, agent_ids: Iterable[str], s: Session) -> set[str]:
    """Those of ``agent_ids`` whose feedback ``user`` may see (:func:`can_see_agent`'s rule, two queries at most
    for a whole team table instead of two per agent)."""
    ids = set(agent_ids)
    if user.role == Role.ADMIN:
        return ids
    seen = {a for a in ids if a == user.agent_id}
    if user.role == Role.SUPERVISOR and (teams := roster.supervised_team_ids(s, user.agent_id)):
        seen |= ids & set(roster.current_team_members(s, teams))
    return seen


# --- CSRF ------------------------------------------------------------------------

def login_csrf_token(settings: Settings, nonce: str) -> str:
    """The login form's token: an HMAC of the anonymous cookie's nonce under the session secret."""
    return hmac.new(settings.session_secret.encode(), nonce.encode(), hashlib.sha256).hexdigest()


def new_login_nonce() -> str:
    """A fresh nonce for the login form's CSRF cookie."""
    return secrets.token_urlsafe(24)


def expected_csrf(request: Request, settings: Settings, user: StaffUser | None) -> str | None:
    """The token a POST must carry: the session's, or before login the one bound to the login cookie."""
    if user is not None:
        return user.csrf_token
    nonce = request.cookies.get(LOGIN_CSRF_COOKIE)
    return login_csrf_token(settings, nonce) if nonce else None


async def require_csrf(request: Request, settings: SettingsDep, user: OptionalUser) -> None:
    """Refuse (403) a form POST whose ``csrf_token`` field is missing or wrong."""
    form = await request.form()
    sent = form.get(CSRF_FIELD)
    expected = expected_csrf(request, settings, user)
    if not isinstance(sent, str) or not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise CsrfFailed()


CsrfCheck = Depends(require_csrf)
CsrfDep = Annotated[None, CsrfCheck]


@pass_context
def csrf_field(ctx) -> Markup:
    """The hidden CSRF input for a form of the current page (``{{ csrf_field() }}``)."""
    request: Request = ctx["request"]
    token = getattr(request.state, "csrf_token", None)
    user = getattr(request.state, "staff_user", None)
    if user is not None:
        token = user.csrf_token
    if not token:
        return Markup("")
    return Markup(f'<input type="hidden" name="{CSRF_FIELD}" value="{escape(token)}">')


@pass_context
def _current_user(ctx) -> StaffUser | None:
    return getattr(ctx["request"].state, "staff_user", None)


@pass_context
def _inbox_count(ctx) -> int:
    return getattr(ctx["request"].state, "inbox_count", 0)


templates.env.globals.update(csrf_field=csrf_field, current_user=_current_user, inbox_count=_inbox_count,
                             role_names=messages.ROLE_NAMES)


# --- answers to the exceptions above ---------------------------------------------------

def _error_page(request: Request, message: str, status: int):
    return templates.TemplateResponse(request, "staff_error.html",
                                      {"title": messages.FORBIDDEN_TITLE, "message": message}, status_code=status)


def install(app: FastAPI) -> None:
    """Register the redirect and 403 answers of the auth exceptions on ``app``."""

    @app.exception_handler(LoginRequired)
    async def _login(request: Request, _exc: LoginRequired):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)

    @app.exception_handler(Forbidden)
    async def _forbidden(request: Request, _exc: Forbidden):
        return _error_page(request, messages.FORBIDDEN, 403)

    @app.exception_handler(CsrfFailed)
    async def _csrf(request: Request, _exc: CsrfFailed):
        return _error_page(request, messages.CSRF_FAILED, 403)

