"""The scripted conversations of ``conversations.yml``, played through the SMS callback instead of the web chat.

Issue 20: a reply means the same on every channel and lands in the same
KPIs. Every conversation that judges the web chat (``test_conversations.py``)
is sent here as SMS replies to Tencent Cloud's reply callback (the documented
JSON, https://cloud.tencent.com/document/product/382/5809), processed by the
real worker through Rasa (on the SQLite stack), and must leave the same stored outcome: the counted
rating, the survey's status, the current reason's cause, attribution, source
and review mark, the complaint flag, and the opt-out of the number.

Differences of the medium, not of meaning: SMS has no page to reload
(``@reload`` turns are skipped) and its first message is the invitation, so
no greeting is requested. Each reply waits until the worker has settled the
previous one, as a customer reads an answer before replying.
"""
from __future__ import annotations

import time
import uuid

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.db.channels import InboundMessage, OutboundMessage
from bot.db.models import Survey
from tests.conftest import SMS_CALLBACK_SECRET
from tests.e2e.test_conversations import CONVERSATIONS, RELOAD, stored_differences
from tests.e2e.test_sms_channel import _wait

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def _params():
    for conv in CONVERSATIONS:
        if conv.get("pending"):
            continue  # the web chat's strict expected failures are not a contract yet
        yield pytest.param(conv, id=conv["id"])


@pytest.fixture()
def sms_live(live_stacks):
    """The SQLite stack. The web chat plays these conversations on both databases and test_sms_channel.py runs
    the SMS path on both; a channel's meaning does not depend on the database, so the replay runs once (CI time)."""
    return live_stacks("sqlite")


@pytest.mark.parametrize("conv", list(_params()))
def test_conversation_by_sms(sms_live, conv):
    live = sms_live
    mobile = "138" + str(uuid.uuid4().int)[:8]
    r = live.post_call(channel="sms", customer_channel_id=mobile)
    assert r.status_code == 201, r.text
    token = r.json()["survey_token"]
    with Session(live.engine) as s:
        sid = s.scalar(select(Survey.id).where(Survey.token == token))
    _wait(live, lambda s: s.scalar(select(OutboundMessage.id).where(
        OutboundMessage.survey_id == sid, OutboundMessage.kind == "invite", OutboundMessage.status == "sent")),
        what="the invitation")
    sent_at = time.time()
    for i, turn in enumerate(t for t in conv["turns"] if t != RELOAD):
        # Distinct send times: Tencent's dedupe key is number + time + text, and a customer may repeat a text.
        body = {"mobile": mobile, "nationcode": "86", "text": turn, "time": int(sent_at) + i, "sign": "客服中心",
                "extend": ""}
        with Session(live.engine) as s:
            before = s.scalar(select(func.max(InboundMessage.id))) or 0
        answer = live.http.post(f"/callbacks/sms/tencent/{SMS_CALLBACK_SECRET}", json=body)
        assert answer.status_code == 200 and answer.json() == {"result": 0, "errmsg": "OK"}, answer.text
        _wait(live, lambda s, before=before: s.scalar(select(InboundMessage.status).where(InboundMessage.id > before))
              not in (None, "queued"), what=f"reply {i + 1} of {conv['id']}")
    expect = conv["expect"]
    wrong = stored_differences(live, token, expect)
    with Session(live.engine) as s:
        texts = list(s.scalars(select(OutboundMessage.text).where(OutboundMessage.survey_id == sid)
                               .order_by(OutboundMessage.id)))
    transcript = "\n".join(f"  < {t}" for t in texts)
    assert not wrong, f"{conv['id']} by SMS: expected/stored {wrong}\n{transcript}"
    if "opted_out" in expect:
        again = live.post_call(channel="sms", customer_channel_id=mobile)
        assert again.status_code in (200, 201), again.text
        assert bool(again.json().get("opted_out")) is expect["opted_out"], again.text
