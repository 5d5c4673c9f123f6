"""The telephony integration: a call has ended, open its survey (unless the customer opted out)."""
from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, Response

from bot.channels import inbox, outbox
from bot.channels.identity import masked
from bot.clock import as_utc, utcnow
from bot.conversation import calls, optouts
from bot.domain.sms_templates import template
from bot.web.deps import IntegrationAuth, SessionDep, SettingsDep
from bot.web.schemas import BODY_ERRORS, CallIn, ErrorOut, SurveyOut

router = APIRouter(tags=["integration"])


@router.post("/api/calls", response_model=SurveyOut, status_code=201, dependencies=[IntegrationAuth],
             responses={200: {"model": SurveyOut,
                              "description": "Call already registered, or the channel opted out "
                                             "(`opted_out: true`, `chat_url: null`: send nothing)"},
                        401: {"model": ErrorOut, "description": "Bad integration token"},
                        409: {"model": ErrorOut, "description": "Call id known with different details (the detail "
                                                                "names the field), or a credited agent not on the call"},
                        **BODY_ERRORS})
def call_ended(request: Request, body: CallIn, response: Response, s: SessionDep, settings: SettingsDep) -> SurveyOut:
    """Register an ended call and return its survey's chat link. Idempotent on ``call_id``.

    When ``customer_channel_id`` is on the opt-out list, no survey is opened and
    the answer is ``200`` with ``opted_out: true`` and ``chat_url: null``.
    """
    with s.begin():
        if optouts.is_opted_out(s, body.customer_channel_id, settings.session_secret):
            response.status_code = 200
            return SurveyOut(call_id=body.call_id, survey_token=None, chat_url=None, expires_at=None,
                             created=False, opted_out=True)
    identity = body.customer_channel_id
    req = calls.CallRequest(call_id=body.call_id, agent_ids=body.agent_ids, ended_at=body.ended_at,
                            customer_channel_id=identity, credited_agent_id=body.credited_agent_id,
                            channel=body.channel, channel_masked=masked(body.channel, identity) if identity else None)
    invite: int | None = None
    try:
        with s.begin():
            survey, created = calls.register_call(
                s, req, window_minutes=settings.survey_window_minutes,
                template_version=settings.greeting_version, channel_secret=settings.session_secret)
            out = SurveyOut(call_id=body.call_id, survey_token=survey.token,
                            chat_url=f"{settings.public_base_url}/s/{survey.token}",
                            expires_at=as_utc(survey.expires_at), created=created)
            if created and body.channel == "sms" and identity:
                invite = outbox.do_queue(
                    s, channel="sms", provider=settings.sms_provider,
                    channel_hash=optouts.channel_hash(identity, settings.session_secret), masked=req.channel_masked,
                    survey_id=survey.id, kind="invite", text=template("invite", settings.sms_invite_version).text,
                    now=utcnow())
    except calls.CallConflict as exc:
        raise HTTPException(status_code=409, detail=str(exc)) from exc
    if invite is not None:
        # Sent by the job runner, never on a web worker; the number travels only in the job.
        request.app.state.jobs.enqueue(inbox.SEND_SMS, invite, identity)
    response.status_code = 201 if created else 200
    return out


@router.delete("/api/opt-outs/{customer_channel_id}", status_code=204, dependencies=[IntegrationAuth],
               responses={204: {"description": "The channel will receive surveys again"},
                          401: {"description": "Bad integration token"},
                          404: {"description": "The channel is not on the opt-out list"}})
def opt_back_in(customer_channel_id: str, s: SessionDep, settings: SettingsDep) -> Response:
    """Take a channel off the opt-out list (the customer asked the centre to be surveyed again)."""
    with s.begin():
        removed = optouts.opt_in(s, customer_channel_id, settings.session_secret, utcnow(),
                                 actor="integration")
    if not removed:
        raise HTTPException(status_code=404, detail="channel is not opted out")
    return Response(status_code=204)
