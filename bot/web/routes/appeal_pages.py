"""Appeal pages: the list to decide (/appeals), one appeal's page (/appeals/{id}) with its forms, the admin's
escalation list (/appeals/escalated)."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from bot.domain import AppealVote
from bot.notifications import inbox
from bot.staff import appeal_cases, appeals
from bot.web import messages
from bot.web.access import NotFound
from bot.web.auth import CsrfCheck, CurrentUser, RequireAdmin, StaffUser, now_utc
from bot.web.deps import SessionDep, SettingsDep
from bot.web.templating import templates
from bot.web.views.appeals import appeal_context, deadline_time, stage_text

router = APIRouter(include_in_schema=False)

#: ``?done=`` → the notice shown after a form.
_NOTICES = {"decided": messages.APPEAL_DECIDED, "voted": messages.APPEAL_VOTED,
            "review": messages.APPEAL_REVIEW_ASKED}


def _visible(s, user: StaffUser, appeal_id: int) -> tuple[appeal_cases.AppealCase, appeal_cases.Viewer]:
    """The case and how ``user`` sees it; 404 for an unknown appeal and for one they may not see (same answer)."""
    case = appeal_cases.load_case(s, appeal_id)
    viewer = appeal_cases.viewer_of(case, user.agent_id, user.role) if case else None
    if case is None or viewer is None:
        raise NotFound()
    return case, viewer


@router.get("/appeals", response_class=HTMLResponse)
def to_decide(request: Request, s: SessionDep, settings: SettingsDep, user: CurrentUser):
    """The appeals waiting for the logged-in person (as supervisor, panel member or admin)."""
    cases = appeal_cases.to_decide(s, user.agent_id, user.role)
    return templates.TemplateResponse(request, "staff/appeals.html", {
        "title": messages.PAGE_APPEALS, "cases": [(c, stage_text(c)) for c in cases],
        "due": lambda v: deadline_time(v, settings.timezone), "escalated_list": False})


@router.get("/appeals/escalated", response_class=HTMLResponse)
def escalated(request: Request, s: SessionDep, settings: SettingsDep, user: RequireAdmin):
    """The admin's list: escalated appeals (overdue, split panel, no decider) and second reviews."""
    cases = [c for c in appeal_cases.admin_queue(s) if c.agent_id != user.agent_id]
    return templates.TemplateResponse(request, "staff/appeals.html", {
        "title": messages.PAGE_ESCALATED, "cases": [(c, stage_text(c)) for c in cases],
        "due": lambda v: deadline_time(v, settings.timezone), "escalated_list": True})


@router.get("/appeals/{appeal_id}", response_class=HTMLResponse)
def appeal_page(request: Request, s: SessionDep, settings: SettingsDep, user: CurrentUser, appeal_id: int,
                done: str = "", refused: str = ""):
    """One appeal: the customer's words, the agent's reason, the state; the form its viewer may use.

    Opening it marks the viewer's inbox entries about it read.
    """
    case, viewer = _visible(s, user, appeal_id)
    inbox.do_mark_read(s, user.agent_id, now_utc(), appeal_id=case.id)
    s.commit()
    context = appeal_context(s, settings, case, viewer, user.agent_id, user.role)
    refusal = messages.DECISION_REFUSALS.get(refused) or messages.APPEAL_REFUSALS.get(refused)
    context.update(title=f"{messages.PAGE_APPEAL} #{case.id}", notice=_NOTICES.get(done), refusal=refusal)
    return templates.TemplateResponse(request, "staff/appeal.html", context)


def _back(appeal_id: int, refusal: str | None, done: str) -> RedirectResponse:
    query = f"refused={refusal}" if refusal else f"done={done}"
    return RedirectResponse(f"/appeals/{appeal_id}?{query}", status_code=303)


@router.post("/appeals/{appeal_id}/decide", dependencies=[CsrfCheck])
def decide(s: SessionDep, user: CurrentUser, appeal_id: int, outcome: Annotated[str, Form()],
           cause: Annotated[str, Form()] = "", note: Annotated[str, Form()] = ""):
    """The supervisor's or the admin's decision (``outcome``: uphold | reject)."""
    with s.begin():  # one transaction: who may see it, then the write (the service locks the rows)
        _visible(s, user, appeal_id)
        refusal = appeals.do_decide_appeal(s, appeal_id=appeal_id, decider_id=user.agent_id, role=user.role,
                                           upheld=outcome == "uphold", cause=cause or None, note=note,
                                           now=now_utc())
    return _back(appeal_id, refusal, "decided")


@router.post("/appeals/{appeal_id}/vote", dependencies=[CsrfCheck])
def vote(s: SessionDep, user: CurrentUser, appeal_id: int, outcome: Annotated[str, Form()],
         cause: Annotated[str, Form()] = "", note: Annotated[str, Form()] = ""):
    """A panel member's vote (``outcome``: uphold | reject)."""
    choice = AppealVote.UPHOLD if outcome == "uphold" else AppealVote.REJECT
    with s.begin():
        _visible(s, user, appeal_id)
        refusal = appeals.do_vote(s, appeal_id=appeal_id, reviewer_id=user.agent_id, vote=choice,
                                  cause=cause or None, note=note, now=now_utc())
    return _back(appeal_id, refusal, "voted")


@router.post("/appeals/{appeal_id}/review", dependencies=[CsrfCheck])
def ask_review(s: SessionDep, user: CurrentUser, appeal_id: int, text: Annotated[str, Form()] = ""):
    """The agent asks the admin to review a rejected appeal (once; the admin's answer is final)."""
    with s.begin():  # one transaction: who may see it, then the write (the service locks the rows)
        _visible(s, user, appeal_id)
        refusal = appeals.do_request_review(s, appeal_id=appeal_id, agent_id=user.agent_id, text=text,
                                            now=now_utc())
    return _back(appeal_id, refusal, "review")
