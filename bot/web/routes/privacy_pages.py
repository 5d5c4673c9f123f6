"""The admin's page for one customer's personal data (/admin/privacy): what we hold, its export, its erasure.

A customer (China's PIPL, the GDPR abroad) may ask what we hold about them
and have it erased. The admin types the customer's channel identity, sees
what would be erased as counts per kind under a masked identity (never the
content), confirms with a written reason and sees the result, our tables and
Rasa's tracker store. Every step is a POST with the CSRF token, so no
identity appears in a URL, an access log or the browser's history; export
and erasure are audited without content.
"""
from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from bot.channels.identity import IdentityError
from bot.privacy import erasure, tracker
from bot.web import messages
from bot.web.auth import CsrfCheck, RequireAdmin, now_utc
from bot.web.deps import SessionDep, SettingsDep
from bot.web.templating import templates
from bot.web.views.privacy import kind_rows, tracker_message
from zhtext.clean import clean_text

router = APIRouter(prefix="/admin/privacy", include_in_schema=False)
MAX_WHY = 500
# Form fields are read as plain strings and checked here, so that any input
# gets the page with a Chinese message (a length limit in Form() would answer 422).
IdentityField = Annotated[str, Form()]


def _page(request: Request, status_code: int = 200, **context):
    return templates.TemplateResponse(request, "staff/privacy.html",
                                      {"title": messages.PAGE_PRIVACY, "step": "ask", "error": None, **context},
                                      status_code=status_code)


def _read(request: Request, raw: str) -> erasure.CustomerIdentity | Response:
    try:
        return erasure.read_identity(raw)
    except IdentityError as exc:
        return _page(request, status_code=400, error=exc.message_zh, typed=raw[:200])  # typed again, corrected


def _preview_page(request: Request, s, settings, who: erasure.CustomerIdentity, status_code: int = 200,
                  error: str | None = None):
    with s.begin():
        found = erasure.preview(s, who.value, settings.session_secret)
    held = any(found.counts.values())
    note = None if held else (messages.PRIVACY_ALREADY.format(n=len(found.surveys)) if found.surveys
                              else messages.PRIVACY_NOTHING)
    return _page(request, status_code=status_code, step="preview", who=who, rows=kind_rows(found),
                 surveys=len(found.surveys), can_erase=bool(found.surveys) or held, note=note, error=error)


@router.get("", response_class=HTMLResponse)
def privacy_page(request: Request, user: RequireAdmin):
    """The form: whose data."""
    return _page(request)


@router.post("/preview", response_class=HTMLResponse, dependencies=[CsrfCheck])
def preview(request: Request, s: SessionDep, settings: SettingsDep, user: RequireAdmin,
            identity: IdentityField = ""):
    """What would be erased, counted per kind, under the masked identity."""
    who = _read(request, identity)
    if isinstance(who, Response):
        return who
    return _preview_page(request, s, settings, who)


@router.post("/erase", response_class=HTMLResponse, dependencies=[CsrfCheck])
def erase(request: Request, s: SessionDep, settings: SettingsDep, user: RequireAdmin,
          identity: IdentityField = "", why: Annotated[str, Form()] = "", confirm: Annotated[str, Form()] = ""):
    """Erase, with a written reason and the confirmation box ticked; then Rasa's tracker store; show both."""
    who = _read(request, identity)
    if isinstance(who, Response):
        return who
    why = clean_text(why, multiline=True).strip()
    if not why or confirm != "yes":
        return _preview_page(request, s, settings, who, status_code=400, error=messages.PRIVACY_WHY_MISSING)
    if len(why) > MAX_WHY:
        return _preview_page(request, s, settings, who, status_code=400, error=messages.PRIVACY_WHY_TOO_LONG)
    actor = f"admin:{user.agent_id}"
    with s.begin():
        found = erasure.do_erase(s, who.value, settings.session_secret, now=now_utc(), actor=actor, why=why)
    outcome = tracker.do_erase_tracker(settings, found, actor=actor, now=now_utc())
    text, ok = tracker_message(outcome)
    return _page(request, step="done", who=who, rows=kind_rows(found), surveys=len(found.surveys),
                 tracker_text=text, tracker_ok=ok)


@router.post("/export", dependencies=[CsrfCheck])
def export(request: Request, s: SessionDep, settings: SettingsDep, user: RequireAdmin, identity: IdentityField = ""):
    """Everything we hold about the customer, as a JSON download (the right of access); audited."""
    who = _read(request, identity)
    if isinstance(who, Response):
        return who
    with s.begin():
        held = erasure.do_export(s, who.value, settings.session_secret, now=now_utc(),
                                 actor=f"admin:{user.agent_id}")
    body = json.dumps(held, ensure_ascii=False, indent=2)
    name = f"customer-{held['channel_identity_hash'][:12]}.json"
    return Response(body, media_type="application/json; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})
