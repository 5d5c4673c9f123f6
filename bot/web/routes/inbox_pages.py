"""The in-app inbox (/inbox) of every role: appeals to decide or decided, cases assigned or escalated, digests."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from bot.notifications import inbox
from bot.web import messages
from bot.web.access import NotFound
from bot.web.auth import CsrfCheck, CurrentUser, now_utc
from bot.web.deps import SessionDep, SettingsDep
from bot.web.ids import RowId
from bot.web.templating import templates
from bot.web.views.inbox import inbox_rows

router = APIRouter(include_in_schema=False)


@router.get("/inbox", response_class=HTMLResponse)
def inbox_page(request: Request, s: SessionDep, settings: SettingsDep, user: CurrentUser, done: str = ""):
    """The logged-in person's notifications, unread first, each linking to its item."""
    with s.begin():
        rows = inbox_rows(inbox.entries(s, user.agent_id), settings.timezone)
    return templates.TemplateResponse(request, "staff/inbox.html", {
        "title": messages.PAGE_INBOX, "rows": rows, "unread": sum(1 for r in rows if not r["read"]),
        "notice": messages.INBOX_ALL_READ if done else None})


@router.get("/inbox/{entry_id}")
def open_entry(s: SessionDep, user: CurrentUser, entry_id: Annotated[RowId, Path()]):
    """Mark one of the user's own entries read and go to its item (404 for anyone else's: same answer)."""
    with s.begin():
        entry = inbox.entry(s, user.agent_id, entry_id)
        if entry is None:
            raise NotFound()
        inbox.do_mark_read(s, user.agent_id, now_utc(), entry_id=entry.id)
        target = entry.link or "/inbox"
    return RedirectResponse(target if target.startswith("/") and not target.startswith("//") else "/inbox",
                            status_code=303)


@router.post("/inbox/read-all", dependencies=[CsrfCheck])
def read_all(s: SessionDep, user: CurrentUser):
    """Mark every entry of the user read."""
    with s.begin():
        inbox.do_mark_read(s, user.agent_id, now_utc())
    return RedirectResponse("/inbox?done=1", status_code=303)
