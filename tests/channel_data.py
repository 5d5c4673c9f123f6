"""Channel surveys added to the staff centre of ``tests/staff_data.py``, through the services; counted by hand.

* an SMS survey of A1 (一组) to 138****5678: a 2, the model's reason (员工态度, awaiting review), relabelled by
  reviewer R1 (孙审核) as 系统与排队, and a redacted transcript;
* a web survey of B1 (二组): a 1 with the customer's choice 公司规定 and a quote only 二组's pages may show;
* a WeChat survey of A2 (一组) never answered;
* reviewers R1 and R2; R2 sits on the blind panel of an appeal on the SMS survey.
"""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.conversation import calls, transcripts
from bot.db.models import Agent, Call, Survey
from bot.db.session import open_session
from bot.db.staff import Account, Appeal, AppealPanelist, Team
from bot.domain import SurveyStatus
from tests import rows
from tests.staff_data import Built, password_hash

PHONE = "13812345678"
B2_QUOTE = "二组客户说退货规定太死板了"
SMS_WORDS = "排队等了四十分钟才接通"


def add_channel_surveys(db_url: str, built: Built) -> dict[str, int]:
    """Write the surveys above; returns their ids (``sms``, ``b2``, ``wechat``)."""
    now = built.days[0]
    with open_session(db_url) as s, s.begin():
        for rid, name in (("R1", "孙审核"), ("R2", "周审核")):
            s.add(Agent(id=rid, name=name, role="reviewer", created_at=now - timedelta(days=60)))
            s.flush()
            s.add(Account(agent_id=rid, password_hash=password_hash(), updated_at=now))
        teams = {t.name: t.id for t in s.scalars(select(Team))}
        ended = built.days[3]

        def survey(call_id: str, agent: str, team: str, channel: str, masked: str | None) -> Survey:
            req = calls.CallRequest(call_id=call_id, agent_ids=[agent], ended_at=ended, channel=channel,
                                    channel_masked=masked)
            sv, _ = calls.register_call(s, req, window_minutes=60, template_version="v1", now=ended)
            s.get(Call, sv.call_id).team_id = teams[team]
            s.flush()
            return sv

        sms = survey("sms-001", "A1", "一组", "sms", "138****5678")
        rating = rows.record_rating(s, sms, 2, "2", ended + timedelta(minutes=5))
        model = rows.record_reason(s, rating, SMS_WORDS, cause="staff.attitude", attribution="staff",
                                   source="model", confidence=0.55, model_version="v-test", evidence="排队",
                                   needs_review=True, now=ended + timedelta(minutes=6))
        rows.record_reason(s, rating, SMS_WORDS, cause="company.system", attribution="non_staff", source="reviewer",
                           now=ended + timedelta(hours=2), actor="reviewer:R1", model_cause="staff.attitude",
                           model_confidence=0.55)
        rows.set_status(s, sms, SurveyStatus.COMPLETED, ended + timedelta(minutes=7))
        transcripts.append(s, sms, ended + timedelta(minutes=1), bot=[("您好，请为本次通话的服务打分：回复1-5，5分最满意。回复TD退订", [])])
        transcripts.append(s, sms, ended + timedelta(minutes=5), customer=f"2分，有事打我手机{PHONE}",
                           bot=[("请问是什么原因让您不满意？", [])])
        transcripts.append(s, sms, ended + timedelta(minutes=6), customer=SMS_WORDS,
                           bot=[("感谢您的反馈，我们会尽快改进。", [])])
        appeal = Appeal(reason_id=model.id, agent_id="A1", text="这是排队系统的问题", status="open", mode="panel",
                        created_at=ended + timedelta(hours=3))
        s.add(appeal)
        s.flush()
        s.add(AppealPanelist(appeal_id=appeal.id, reviewer_id="R2", drawn_at=ended + timedelta(hours=3)))

        b2 = survey("web-b2", "B1", "二组", "web", None)
        r2 = rows.record_rating(s, b2, 1, "1", ended + timedelta(minutes=5))
        rows.record_reason(s, r2, B2_QUOTE, cause="company.policy", attribution="non_staff", source="customer",
                           now=ended + timedelta(minutes=6))
        wechat = survey("wx-001", "A2", "一组", "wechat", "oAbC…xyz")
        return {"sms": sms.id, "b2": b2.id, "wechat": wechat.id}
