"""An SMS survey end to end through the real stack (web app, worker, Rasa, action server) on SQLite and PostgreSQL.

The providers' callbacks are posted in their documented shapes:

* Tencent Cloud SMS "回复短信回调" (https://cloud.tencent.com/document/product/382/5809):
  ``{"mobile", "nationcode", "text", "time", "sign", "extend"}`` → ``{"result": 0, "errmsg": "OK"}``;
* Alibaba Cloud "上行短信消息 SmsUp" HTTP push (https://help.aliyun.com/zh/sms/developer-reference/smsup-http):
  ``[{"phone_number", "content", "send_time", "dest_code", "sequence_id"}]`` → ``{"code": 0, "msg": "接收成功"}``.

The development sender (``FEEDBACKBOT_SMS_PROVIDER=log``) sends nothing anywhere; what the customer would
receive is read from ``outbound_messages``.
"""
from __future__ import annotations

import time
import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.db.channels import InboundMessage, OutboundMessage
from bot.db.models import Call, Rating, Reason, Survey
from tests.conftest import SMS_CALLBACK_SECRET

pytestmark = [pytest.mark.e2e]
BEIJING = ZoneInfo("Asia/Shanghai")


def _mobile() -> str:
    return "139" + str(uuid.uuid4().int)[:8]


def _tencent(live, mobile: str, text: str, at: float | None = None, secret: str = SMS_CALLBACK_SECRET):
    body = {"mobile": mobile, "nationcode": "86", "text": text, "time": int(at or time.time()), "sign": "客服中心",
            "extend": ""}
    return live.http.post(f"/callbacks/sms/tencent/{secret}", json=body)


def _aliyun(live, mobile: str, text: str, sequence_id: int):
    body = [{"phone_number": mobile, "content": text, "send_time": datetime.now(BEIJING).strftime("%Y-%m-%d %H:%M:%S"),
             "dest_code": "", "sequence_id": sequence_id}]
    return live.http.post(f"/callbacks/sms/aliyun/{SMS_CALLBACK_SECRET}", json=body)


def _wait(live, condition, timeout: float = 60.0, what: str = "the condition"):
    """Poll ``condition(session)`` until it is truthy (the worker processes callbacks in the background)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with Session(live.engine) as s:
            value = condition(s)
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"the worker did not finish in time: {what}")


def _replies(s: Session, survey_id: int) -> list[str]:
    return list(s.scalars(select(OutboundMessage.text).where(OutboundMessage.survey_id == survey_id,
                                                             OutboundMessage.kind == "reply",
                                                             OutboundMessage.status == "sent")
                          .order_by(OutboundMessage.id)))


def _say(live, mobile: str, survey_id: int, text: str) -> str:
    with Session(live.engine) as s:
        before = len(_replies(s, survey_id))
    answer = _tencent(live, mobile, text)
    assert answer.status_code == 200 and answer.json() == {"result": 0, "errmsg": "OK"}, answer.text
    return _wait(live, lambda s: (r := _replies(s, survey_id)) and len(r) > before and r[-1])


def test_a_full_sms_survey_with_a_reason_and_a_cause_choice_by_number(live):
    mobile = _mobile()
    r = live.post_call(channel="sms", customer_channel_id=f"+86 {mobile[:3]} {mobile[3:7]} {mobile[7:]}")
    assert r.status_code == 201, r.text
    token = r.json()["survey_token"]
    with Session(live.engine) as s:
        survey = s.scalar(select(Survey).where(Survey.token == token))
        call = s.get(Call, survey.call_id)
        assert (call.channel, call.customer_channel_id, call.channel_masked) == ("sms", None, f"{mobile[:3]}****{mobile[-4:]}")
        sid = survey.id
    invite = _wait(live, lambda s: s.scalar(select(OutboundMessage).where(OutboundMessage.survey_id == sid,
                                                                          OutboundMessage.kind == "invite",
                                                                          OutboundMessage.status == "sent")))
    assert "回复1-5" in invite.text and "TD" in invite.text
    assert "不满意" in _say(live, mobile, sid, "2")
    question = _say(live, mobile, sid, "问题一直没解决")
    assert "回复1" in question and "客服服务" in question  # buttons became numbered options
    _say(live, mobile, sid, "1")
    with Session(live.engine) as s:
        survey = s.get(Survey, sid)
        rating = s.scalar(select(Rating).where(Rating.survey_id == sid))
        reason = s.scalar(select(Reason).where(Reason.rating_id == rating.id))
        assert (survey.status, rating.score, reason.source, reason.attribution) == ("completed", 2, "customer", "staff")


def test_a_repeated_callback_is_stored_once_and_a_forged_one_refused(live):
    mobile = _mobile()
    token = live.post_call(channel="sms", customer_channel_id=mobile).json()["survey_token"]
    at = time.time()
    for _ in range(3):
        r = _tencent(live, mobile, "5", at=at)
        assert r.status_code == 200, r.text
    with Session(live.engine) as s:
        sid = s.scalar(select(Survey.id).where(Survey.token == token))
    _wait(live, lambda s: s.scalar(select(Survey.status).where(Survey.id == sid)) == "completed")
    # The worker settles the inbound row (processed, its survey) in its own transaction after the turn's commit.
    _wait(live, lambda s: s.scalar(select(func.count()).select_from(InboundMessage)
                                   .where(InboundMessage.survey_id == sid)), what="the reply settled")
    with Session(live.engine) as s:
        assert s.scalar(select(func.count()).select_from(InboundMessage)
                        .where(InboundMessage.survey_id == sid)) == 1
        assert s.scalar(select(func.count()).select_from(Rating).where(Rating.survey_id == sid)) == 1
    assert _tencent(live, mobile, "1", secret="wrong-secret").status_code == 404
    assert live.http.post(f"/callbacks/sms/other/{SMS_CALLBACK_SECRET}", json={}).status_code == 404
    stale = _tencent(live, mobile, "1", at=time.time() - 3 * 86400)  # outside the replay window
    assert stale.status_code == 200
    time.sleep(1.0)
    with Session(live.engine) as s:
        assert s.scalar(select(func.count()).select_from(Rating).where(Rating.survey_id == sid)) == 1


def test_aliyun_push_two_open_surveys_a_closed_one_and_an_opt_out(live):
    mobile = _mobile()
    first = live.post_call(channel="sms", customer_channel_id=mobile).json()["survey_token"]
    second = live.post_call(channel="sms", customer_channel_id=mobile).json()["survey_token"]
    with Session(live.engine) as s:
        ids = {t: s.scalar(select(Survey.id).where(Survey.token == t)) for t in (first, second)}
    r = _aliyun(live, mobile, "4", sequence_id=int(time.time() * 1000) % 10**9)
    assert r.status_code == 200 and r.json() == {"code": 0, "msg": "接收成功"}, r.text
    question = _wait(live, lambda s: s.scalar(select(OutboundMessage.text).where(
        OutboundMessage.channel_hash == s.scalar(select(Call.channel_hash).join(Survey, Survey.call_id == Call.id)
                                                 .where(Survey.token == first)),
        OutboundMessage.kind == "reply", OutboundMessage.status == "sent")))
    assert "哪一次" in question
    r = _aliyun(live, mobile, "2", sequence_id=int(time.time() * 1000 + 7) % 10**9)  # the second call
    _wait(live, lambda s: s.scalar(select(Rating.score).where(Rating.survey_id == ids[second])) == 4)
    with Session(live.engine) as s:
        assert s.scalar(select(func.count()).select_from(Rating).where(Rating.survey_id == ids[first])) == 0
    # The customer opts out from any survey: the number is never surveyed again.
    _tencent(live, mobile, "TD")
    _wait(live, lambda s: s.scalar(select(Survey.status).where(Survey.id == ids[first])) == "opted_out")
    again = live.post_call(channel="sms", customer_channel_id=mobile)
    assert again.status_code == 200 and again.json()["opted_out"] is True, again.text


def test_a_reply_to_a_closed_survey_gets_a_polite_answer_and_stores_nothing(live):
    mobile = _mobile()
    token = live.post_call(channel="sms", customer_channel_id=mobile).json()["survey_token"]
    with Session(live.engine) as s:
        sid = s.scalar(select(Survey.id).where(Survey.token == token))
    _wait(live, lambda s: s.scalar(select(OutboundMessage.id).where(OutboundMessage.survey_id == sid,
                                                                    OutboundMessage.status == "sent")))
    _say(live, mobile, sid, "5")
    live.expire(token)  # the survey's validity window is over: no correction any more
    with Session(live.engine) as s:
        before = s.scalar(select(func.max(OutboundMessage.id)))
    assert _tencent(live, mobile, "改成3分").status_code == 200
    polite = _wait(live, lambda s: s.scalar(select(OutboundMessage.text).where(
        OutboundMessage.id > before, OutboundMessage.channel_hash == s.scalar(
            select(Call.channel_hash).join(Survey, Survey.call_id == Call.id).where(Survey.id == sid)))))
    assert "没有待完成的服务评价" in polite and "不会被记录" in polite
    with Session(live.engine) as s:
        assert [r.score for r in s.scalars(select(Rating).where(Rating.survey_id == sid))] == [5]
        latest = s.scalars(select(InboundMessage).order_by(InboundMessage.id.desc()).limit(1)).one()
        assert (latest.status, latest.survey_id) == ("no_survey", None)
