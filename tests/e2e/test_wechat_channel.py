"""A WeChat official-account survey end to end through the real stack, on SQLite and PostgreSQL.

Pushes are built as WeChat's "接收普通消息" document describes them
(https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Receiving_standard_messages.html):
XML with ``ToUserName``, ``FromUserName`` (the openid), ``CreateTime``, ``MsgType``, ``Content``, ``MsgId``,
signed as "接入指南" says (SHA1 of token, timestamp and nonce sorted and joined) — written here from the
document, not with wechatpy. A passive reply answers within the push's HTTP response.
"""
from __future__ import annotations

import hashlib
import time
import uuid

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.db.channels import InboundMessage
from bot.db.models import Rating, Survey
from tests.conftest import WECHAT_TOKEN

pytestmark = [pytest.mark.e2e]
ACCOUNT = "gh_0123456789ab"


def _query(token: str = WECHAT_TOKEN) -> dict[str, str]:
    timestamp, nonce = str(int(time.time())), str(uuid.uuid4().int)[:9]
    signature = hashlib.sha1("".join(sorted([token, timestamp, nonce])).encode()).hexdigest()
    return {"signature": signature, "timestamp": timestamp, "nonce": nonce}


def _push(live, openid: str, text: str, msg_id: str, token: str = WECHAT_TOKEN):
    xml = (f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
           f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
           f"<Content><![CDATA[{text}]]></Content><MsgId>{msg_id}</MsgId></xml>")
    return live.http.post("/callbacks/wechat", params=_query(token), content=xml.encode(),
                          headers={"Content-Type": "text/xml"})


def _answer(response, openid: str, wechat_api, sent_before: int) -> str:
    """The bot's answer: in the passive reply, or (a turn slower than WeChat's 5 s) sent by the job runner through
    the customer-service API within the 48-hour window."""
    assert response.status_code == 200, response.text
    if response.headers["content-type"].startswith("application/xml"):
        assert f"<ToUserName><![CDATA[{openid}]]></ToUserName>" in response.text
        assert "<MsgType><![CDATA[text]]></MsgType>" in response.text
        return response.text
    assert response.text == "success"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        sends = [r.json() for r in wechat_api.requests if r.path == "/cgi-bin/message/custom/send"]
        mine = [m for m in sends if m["touser"] == openid]
        if len(mine) > sent_before:
            assert mine[-1]["msgtype"] == "text"
            return mine[-1]["text"]["content"]
        time.sleep(0.3)
    raise AssertionError("no customer-service message was sent")


def _sent(wechat_api, openid: str) -> int:
    return sum(1 for r in wechat_api.requests if r.path == "/cgi-bin/message/custom/send" and r.json()["touser"] == openid)


def test_a_wechat_survey_answered_passively_a_repeated_msgid_stored_once_a_forged_push_refused(live, wechat_api):
    openid = "o" + uuid.uuid4().hex[:27]
    token = live.post_call(channel="wechat", customer_channel_id=openid).json()["survey_token"]
    before = _sent(wechat_api, openid)
    first = _push(live, openid, "2", "7001" + str(uuid.uuid4().int)[:12])
    assert "不满意" in _answer(first, openid, wechat_api, before)
    msg_id = "7002" + str(uuid.uuid4().int)[:12]
    before = _sent(wechat_api, openid)
    second = _push(live, openid, "客服一直打断我说话，态度很不耐烦", msg_id)
    assert "感谢" in _answer(second, openid, wechat_api, before)
    again = _push(live, openid, "客服一直打断我说话，态度很不耐烦", msg_id)  # WeChat's retry of the same MsgId
    assert again.status_code == 200 and again.text == "success"
    with Session(live.engine) as s:
        sid = s.scalar(select(Survey.id).where(Survey.token == token))
        assert s.scalar(select(Survey.status).where(Survey.id == sid)) == "completed"
        assert s.scalar(select(func.count()).select_from(Rating).where(Rating.survey_id == sid)) == 1
        assert s.scalar(select(func.count()).select_from(InboundMessage).where(InboundMessage.survey_id == sid)) == 2
    forged = _push(live, openid, "1", "7003" + str(uuid.uuid4().int)[:12], token="not-our-token")
    assert forged.status_code == 403
    check = live.http.get("/callbacks/wechat", params={**_query(), "echostr": "5837397520012245"})
    assert check.status_code == 200 and check.text == "5837397520012245"
