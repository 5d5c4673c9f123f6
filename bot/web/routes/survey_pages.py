"""The survey page (/surveys/{id}): one survey's channel, call, scores, reason history and transcript, for staff."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse

from bot.domain import Role
from bot.web import messages
from bot.web.access import check_survey
from bot.web.auth import CurrentUser
from bot.web.deps import SessionDep, SettingsDep
from bot.web.ids import RowId
from bot.web.templating import templates
from bot.web.views.surveys import survey_context

router = APIRouter(include_in_schema=False)


@router.get("/surveys/{survey_id}", response_class=HTMLResponse)
def survey_page(request: Request, s: SessionDep, settings: SettingsDep, user: CurrentUser,
                survey_id: Annotated[RowId, Path()]):
    """One survey as ``user`` may see it (bot.web.access.check_survey); an appeal panel member sees it blind."""
    access = check_survey(s, user, survey_id)
    context = survey_context(s, access, settings.timezone, staff_names=user.role != Role.AGENT)
    context.update(title=f"{messages.PAGE_SURVEY} #{survey_id}")
    return templates.TemplateResponse(request, "staff/survey.html", context)
