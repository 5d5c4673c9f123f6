"""The review queue (/review) for reviewers and admins; adjudication and agreement (/review/...)."""
from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from bot.staff import review, review_queue
from bot.web import messages
from bot.web.auth import CsrfCheck, RequireAdmin, RequireReviewer, now_utc
from bot.web.deps import SessionDep, SettingsDep
from bot.web.templating import templates
from bot.web.views.common import local_time
from bot.web.views.review import agreement_context, clean_filter, queue_context, threshold

router = APIRouter(include_in_schema=False)

BULK_LIMIT = 200  # items confirmed by one click (the list the reviewer sees is at most this long)


def _result_query(result: review.LabelResult) -> dict[str, str]:
    if result.outcome is not None:
        return {"done": result.outcome.value}
    return {"refused": result.refusal.value if result.refusal else "gone"}


def _back(team: str, cause: str, source: str, **extra: str) -> str:
    query = {k: v for k, v in {"team": team, "cause": cause, "source": source, **extra}.items() if v}
    return "/review" + (f"?{urlencode(query)}" if query else "")


@router.get("/review", response_class=HTMLResponse)
def queue_page(request: Request, s: SessionDep, settings: SettingsDep, user: RequireReviewer, team: str = "",
               cause: str = "", source: str = "", done: str = "", refused: str = "", bulk: str = ""):
    """The queue: the item in focus with the keyboard labeller, the items after it, the filters."""
    with s.begin():
        f = clean_filter(s, team, cause, source)
        context = queue_context(s, settings, user.agent_id, f)
    notice = messages.REVIEW_OUTCOMES.get(done)
    if bulk:
        parts = dict(p.split(":", 1) for p in bulk.split(",") if ":" in p)
        notice = messages.REVIEW_BULK_DONE.format(decided=parts.get("decided", "0"),
                                                  waiting=parts.get("awaiting_second", "0"),
                                                  refused=parts.get("refused", "0"))
    context.update(title=messages.PAGE_REVIEW, notice=notice, error=messages.REVIEW_REFUSALS.get(refused),
                   time=lambda v: local_time(v, settings.timezone),
                   back_query=urlencode({k: v for k, v in (("team", f.team), ("cause", f.cause),
                                                            ("source", f.source)) if v}))
    return templates.TemplateResponse(request, "staff/review.html", context)


@router.post("/review/label", dependencies=[CsrfCheck])
def label(s: SessionDep, settings: SettingsDep, user: RequireReviewer, reason_id: Annotated[int, Form()],
          cause: Annotated[str, Form()] = "", evidence: Annotated[str, Form()] = "", note: Annotated[str, Form()] = "",
          team: Annotated[str, Form()] = "", cause_filter: Annotated[str, Form()] = "",
          source: Annotated[str, Form()] = ""):
    """One reviewer's label of the item in focus; back to the queue (the next item) with the outcome."""
    with s.begin():
        result = review.do_label(s, reason_id=reason_id, reviewer_id=user.agent_id, cause=cause, now=now_utc(),
                                 double_share=settings.review_double_share, evidence=evidence, note=note)
    extra = _result_query(result)
    return RedirectResponse(_back(team, cause_filter, source, **extra), status_code=303)


@router.post("/review/skip", dependencies=[CsrfCheck])
def skip(s: SessionDep, user: RequireReviewer, reason_id: Annotated[int, Form()], team: Annotated[str, Form()] = "",
         cause_filter: Annotated[str, Form()] = "", source: Annotated[str, Form()] = ""):
    """Pass on the item in focus: it leaves this reviewer's queue."""
    with s.begin():
        result = review.do_skip(s, reason_id=reason_id, reviewer_id=user.agent_id, now=now_utc())
    extra = _result_query(result)
    return RedirectResponse(_back(team, cause_filter, source, **extra), status_code=303)


@router.post("/review/bulk-confirm", dependencies=[CsrfCheck])
def bulk_confirm(s: SessionDep, settings: SettingsDep, user: RequireReviewer, team: Annotated[str, Form()] = "",
                 cause_filter: Annotated[str, Form()] = "", source: Annotated[str, Form()] = ""):
    """Confirm the model's guess for every reason of the filtered list (one audited label per item)."""
    with s.begin():
        f = clean_filter(s, team, cause_filter, source)
        items, _ = review_queue.reason_items(s, reviewer_id=user.agent_id, threshold=threshold(),
                                             margin=settings.review_margin, f=f, limit=BULK_LIMIT)
        counts = review.do_bulk_confirm(s, items, reviewer_id=user.agent_id, now=now_utc(),
                                        double_share=settings.review_double_share)
    summary = ",".join(f"{k}:{v}" for k, v in counts.items()) or "decided:0"
    return RedirectResponse(_back(team, cause_filter, source, bulk=summary), status_code=303)


@router.get("/review/adjudication", response_class=HTMLResponse)
def adjudication_page(request: Request, s: SessionDep, settings: SettingsDep, user: RequireAdmin, done: str = "",
                      refused: str = ""):
    """Items two reviewers labelled differently, with both labels, for the admin to settle."""
    with s.begin():
        items = review.adjudication_list(s)
    return templates.TemplateResponse(request, "staff/review_adjudication.html", {
        "title": messages.PAGE_ADJUDICATION, "items": items, "time": lambda v: local_time(v, settings.timezone),
        "notice": messages.REVIEW_OUTCOMES.get(done), "error": messages.REVIEW_REFUSALS.get(refused)})


@router.post("/review/adjudicate", dependencies=[CsrfCheck])
def adjudicate(s: SessionDep, user: RequireAdmin, reason_id: Annotated[int, Form()],
               cause: Annotated[str, Form()] = "", note: Annotated[str, Form()] = ""):
    """The admin's decision on a disagreement."""
    with s.begin():
        result = review.do_adjudicate(s, reason_id=reason_id, admin_id=user.agent_id, cause=cause, now=now_utc(),
                                      note=note)
    return RedirectResponse(f"/review/adjudication?{urlencode(_result_query(result))}", status_code=303)


@router.get("/review/agreement", response_class=HTMLResponse)
def agreement_page(request: Request, s: SessionDep, user: RequireReviewer):
    """Cohen's kappa and Gwet's AC1 over the items two reviewers labelled, overall and per cause."""
    with s.begin():
        context = agreement_context(s)
    context["title"] = messages.PAGE_AGREEMENT
    return templates.TemplateResponse(request, "staff/review_agreement.html", context)
