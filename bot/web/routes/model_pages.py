"""The admin's model page (/admin/model): versions, their figures, training with people's labels, promotion, rollback.

Training and promotion run on the job runner (never on a web worker); the
page shows their progress from the job log. Rollback is one row in the
promotion history and happens at once; every classifying process follows it
within seconds.
"""
from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from bot.clock import utcnow
from bot.jobs.catalog import title
from bot.jobs.run_log import recent_runs
from bot.learning import reattribution, shadow
from bot.learning.promotion import PROMOTE
from bot.learning.training import TRAIN
from bot.model_store import promotions
from bot.scoring.periods import PeriodError, parse_period
from bot.web.auth import CsrfCheck, RequireAdmin
from bot.web.deps import SessionDep, SettingsDep
from bot.web.templating import templates
from bot.web.views.common import local_time
from bot.web.views.models import comparison, data_card, versions_table
from zhtext.clean import clean_text

router = APIRouter(include_in_schema=False)
MAX_WHY = 500
#: A version id as the model store names them (``classifiers.registry``): anything else is not a version.
VERSION_ID = re.compile(r"^[0-9]{8}T[0-9]{6}Z-[0-9a-f]{8}(?:-[0-9]{1,4})?$")
#: Job states during which the page refreshes itself to show progress.
ACTIVE = frozenset({"queued", "running", "retrying"})


@router.get("/admin/model", response_class=HTMLResponse)
def model_page(request: Request, s: SessionDep, settings: SettingsDep, user: RequireAdmin, notice: str = ""):
    """Versions with their figures, the promotion history and the training and promotion jobs."""
    context: dict[str, Any] = {
        "title": "分类模型", "versions": versions_table(), "current": promotions.current_version(s),
        "history": promotions.history(s, limit=20),
        "jobs": recent_runs(s, limit=10, job=TRAIN, titles=title) + recent_runs(s, limit=10, job=PROMOTE, titles=title),
        "time": lambda v: local_time(v, settings.timezone) if v else "", "notice": notice[:60],
    }
    context["refresh"] = any(j.status in ACTIVE for j in context["jobs"])
    run = shadow.active_run(s)
    context["shadow"] = run
    context["shadow_figures"] = shadow.figures(s, run.version) if run is not None else None
    return templates.TemplateResponse(request, "staff/model.html", context)


@router.get("/admin/model/versions/{version}", response_class=HTMLResponse)
def version_page(request: Request, version: str, s: SessionDep, settings: SettingsDep, user: RequireAdmin):
    """The candidate beside the version promoted when the gate last compared them, on every frozen set."""
    if not VERSION_ID.match(version) or version not in {v.version for v in versions_table(limit=1000)}:
        raise HTTPException(status_code=404)
    context = {"title": f"版本 {version}", "version": version, "current": promotions.current_version(s),
               "comparison": comparison(version, settings.timezone), "card": data_card(version)}
    return templates.TemplateResponse(request, "staff/model_version.html", context)


@router.post("/admin/model/train", dependencies=[CsrfCheck])
def train(request: Request, user: RequireAdmin):
    """Queue a training run on the corpus plus every person-given label."""
    request.app.state.jobs.enqueue(TRAIN)
    return RedirectResponse("/admin/model?notice=train", status_code=303)


@router.post("/admin/model/promote", dependencies=[CsrfCheck])
def promote(request: Request, user: RequireAdmin, version: Annotated[str, Form(max_length=64)],
            force: Annotated[bool, Form()] = False, why: Annotated[str, Form()] = ""):
    """Queue a promotion through the gate; an override needs a written reason."""
    why = clean_text(why, multiline=True).strip()[:MAX_WHY]
    if force and not why:
        return RedirectResponse("/admin/model?notice=why", status_code=303)
    request.app.state.jobs.enqueue(PROMOTE, version, f"admin:{user.agent_id}", force, why or None)
    return RedirectResponse("/admin/model?notice=promote", status_code=303)


@router.post("/admin/model/rollback", dependencies=[CsrfCheck])
def rollback(s: SessionDep, user: RequireAdmin, why: Annotated[str, Form()] = ""):
    """Go back one step in the promotion history, at once."""
    why = clean_text(why, multiline=True).strip()[:MAX_WHY]
    try:
        with s.begin():
            promotions.do_rollback(s, actor=f"admin:{user.agent_id}", why=why or "rollback from the model page")
    except promotions.RollbackError:
        return RedirectResponse("/admin/model?notice=norollback", status_code=303)
    return RedirectResponse(f"/admin/model?notice=rolledback&t={int(utcnow().timestamp())}", status_code=303)


@router.post("/admin/model/shadow", dependencies=[CsrfCheck])
def start_shadow(s: SessionDep, user: RequireAdmin, version: Annotated[str, Form(max_length=64)]):
    """Put a version in shadow mode: it reads new reasons beside the promoted model, affecting no one."""
    try:
        with s.begin():
            shadow.do_start_shadow(s, version, actor=f"admin:{user.agent_id}", now=utcnow(),
                                   current=promotions.current_version(s),
                                   known=[v.version for v in versions_table(limit=1000)])
    except shadow.ShadowError:
        return RedirectResponse("/admin/model?notice=noshadow", status_code=303)
    return RedirectResponse("/admin/model?notice=shadow", status_code=303)


@router.post("/admin/model/shadow/stop", dependencies=[CsrfCheck])
def stop_shadow(s: SessionDep, user: RequireAdmin):
    """End shadow mode (its readings and figures stay)."""
    try:
        with s.begin():
            shadow.do_stop_shadow(s, actor=f"admin:{user.agent_id}", now=utcnow())
    except shadow.ShadowError:
        return RedirectResponse("/admin/model?notice=noshadow", status_code=303)
    return RedirectResponse("/admin/model?notice=shadowstopped", status_code=303)


def _reattribution_input(version: str, period: str) -> str | None:
    """Why a re-attribution request cannot be served (None: it can)."""
    if not VERSION_ID.match(version) or version not in {v.version for v in versions_table(limit=1000)}:
        return "version"
    try:
        parse_period(period)
    except PeriodError:
        return "period"
    return None


@router.get("/admin/model/reattribution", response_class=HTMLResponse)
def reattribution_preview(request: Request, s: SessionDep, settings: SettingsDep, user: RequireAdmin,
                          version: str = "", period: str = "", notice: str = ""):
    """Which model-made attributions of a period the version would change, and how each agent's KPI moves."""
    from classifiers.api import classify_many_with

    version, period = version.strip()[:64], period.strip()[:32]
    problem = _reattribution_input(version, period)
    result = None
    if problem is None:
        result = reattribution.preview(s, version, period, tz=settings.timezone,
                                       classify_many_with=classify_many_with, now=utcnow())
    context = {"title": "重新归因预览", "version": version, "period": period, "problem": problem,
               "preview": result, "notice": notice[:20], "versions": versions_table(),
               "current": promotions.current_version(s)}
    return templates.TemplateResponse(request, "staff/model_reattribution.html", context,
                                      status_code=200 if problem is None or not (version or period) else 422)


@router.post("/admin/model/reattribution", dependencies=[CsrfCheck])
def reattribution_apply(s: SessionDep, settings: SettingsDep, user: RequireAdmin,
                        version: Annotated[str, Form(max_length=64)], period: Annotated[str, Form(max_length=32)],
                        digest: Annotated[str, Form(max_length=64)]):
    """Apply exactly the previewed changes (refused when a fresh reading differs: preview again)."""
    from urllib.parse import urlencode

    from classifiers.api import classify_many_with

    back = {"version": version, "period": period}
    if _reattribution_input(version, period) is not None:
        return RedirectResponse("/admin/model/reattribution?" + urlencode(back), status_code=303)
    try:
        with s.begin():
            reattribution.do_apply(s, version, period, digest, tz=settings.timezone,
                                   classify_many_with=classify_many_with, actor=f"admin:{user.agent_id}",
                                   now=utcnow())
    except reattribution.ReattributionError:
        return RedirectResponse("/admin/model/reattribution?" + urlencode({**back, "notice": "stale"}),
                                status_code=303)
    return RedirectResponse("/admin/model/reattribution?" + urlencode({**back, "notice": "applied"}),
                            status_code=303)
