"""The telephony integration: a call has ended, open its survey."""
from __future__ import annotations

from fastapi import APIRouter, HTTPException, Response

from bot.services import surveys
from bot.web.deps import IntegrationAuth, SessionDep, SettingsDep
from bot.web.schemas import BODY_ERRORS, CallIn, ErrorOut, SurveyOut

router = APIRouter(tags=["integration"])


@router.post("/api/calls", response_model=SurveyOut, status_code=201, dependencies=[IntegrationAuth],
             responses={200: {"model": SurveyOut, "description": "Call already registered"},
                        401: {"model": ErrorOut, "description": "Bad integration token"},
                        409: {"model": ErrorOut, "description": "Call id known with different details (the detail "
                                                                "names the field), or a credited agent not on the call"},
                        **BODY_ERRORS})
def call_ended(body: CallIn, response: Response, s: SessionDep, settings: SettingsDep) -> SurveyOut:
    """Register an ended call and return its survey's chat link. Idempotent on ``call_id``."""
    req = surveys.CallRequest(call_id=body.call_id, agent_ids=body.agent_ids, ended_at=body.ended_at,
                              customer_channel_id=body.customer_channel_id,
                              credited_agent_id=body.credited_agent_id)
    try:
        with s.begin():
            survey, created = surveys.register_call(
                s, req, window_minutes=settings.survey_window_minutes,
                template_version=settings.greeting_version)
            out = SurveyOut(call_id=body.call_id, survey_token=survey.token,
                            chat_url=f"{settings.public_base_url}/s/{survey.token}",
                            expires_at=surveys.as_utc(survey.expires_at), created=created)
    except surveys.CallConflict as exc:
        raise HTTPException(status_code=409, detail=str(exc)) from exc
    response.status_code = 201 if created else 200
    return out
