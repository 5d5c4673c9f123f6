"""Complete survey conversations over HTTP through the real servers, asserting what was stored.

Each test runs once on SQLite and once on PostgreSQL (the ``live`` fixture).
"""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e

GREETING_SCALE = "回复1-5，5为非常满意"


def test_call_api_is_authenticated_idempotent_and_credits_last_agent(live):
    r = live.post_call(call_id="c-transfer-1", agents=["A1", "A2", "A3"])
    assert r.status_code == 201
    first = r.json()
    assert first["chat_url"].endswith("/s/" + first["survey_token"])
    again = live.post_call(call_id="c-transfer-1", agents=["A1", "A2", "A3"])
    assert again.status_code == 200
    assert again.json()["survey_token"] == first["survey_token"]
    assert again.json()["created"] is False
    assert live.post_call(call_id="c-transfer-1", agents=["A9"]).status_code == 409
    bad = live.http.post("/api/calls", json={"call_id": "x", "agent_ids": ["A1"], "ended_at": "2026-01-01T00:00:00Z"},
                         headers={"Authorization": "Bearer wrong"})
    assert bad.status_code == 401
    survey = live.survey(first["survey_token"])
    from sqlalchemy.orm import Session

    from bot.db.models import Call

    with Session(live.engine) as s:
        call = s.get(Call, survey.call_id)
        assert call.credited_agent_id == "A3"
        assert [a.agent_id for a in call.agents] == ["A1", "A2", "A3"]


def test_high_score_completes(live):
    token = live.new_survey()
    greeting = live.start(token)
    assert len(greeting) == 1 and GREETING_SCALE in greeting[0]
    assert live.survey(token).template_version == "v1"
    assert live.say(token, "５") and live.survey(token).status == "completed"
    [rating] = live.ratings(token)
    # Stored redacted; redaction folds full-width digits so they cannot hide a phone number.
    assert (rating.score, rating.status, rating.raw_reply) == (5, "valid", "5")


def test_low_score_with_reason_in_one_message_is_attributed(live):
    token = live.new_survey()
    live.start(token)
    reply = live.say(token, "2 客服态度太差了，一直打断我说话还不耐烦")
    assert any("反馈" in t for t in reply)
    [rating] = live.ratings(token)
    assert rating.score == 2
    [reason] = rating.reasons
    assert (reason.cause, reason.attribution, reason.source) == ("staff.attitude", "staff", "model")
    assert reason.model_version
    assert live.survey(token).status == "completed"


def test_low_score_then_non_staff_reason(live):
    token = live.new_survey()
    live.start(token)
    assert any("哪里让您不满意" in t for t in live.say(token, "一分"))
    live.say(token, "客服小姑娘挺好的，就是你们这个套餐太贵了，每个月扣好多钱")
    [reason] = live.reasons(token)
    assert (reason.cause, reason.attribution, reason.source) == ("company.product", "non_staff", "model")


def test_unclear_reason_asks_the_customer_and_records_their_choice(live):
    token = live.new_survey()
    live.start(token)
    live.say(token, "2")
    ask = live.say(token, "问题没解决")
    assert any("主要是因为" in t for t in ask)
    assert live.reasons(token) == []  # nothing attributed before the customer answers
    live.say(token, "公司业务或规定")
    [reason] = live.reasons(token)
    assert reason.source == "customer"
    assert reason.attribution == "non_staff"
    assert reason.cause in ("company.policy", "company.product")
    assert reason.text == "问题没解决"


def test_unparseable_twice_closes_without_score(live):
    token = live.new_survey()
    live.start(token)
    assert any("1-5" in t for t in live.say(token, "哈哈哈"))
    live.say(token, "好的")
    assert live.ratings(token) == []
    assert live.survey(token).status == "closed_no_score"
    assert any("已经结束" in t for t in live.say(token, "5"))
    assert live.ratings(token) == []  # a closed survey takes no rating


def test_score_reason_contradiction_is_confirmed(live):
    token = live.new_survey()
    live.start(token)
    ask = live.say(token, "5 客服态度太差了，直接挂我电话")
    assert any("确认" in t for t in ask)
    live.say(token, "1")
    # The contradicted 5 counts only if confirmed, so only the confirmed 1 is stored.
    [rating] = live.ratings(token)
    assert (rating.score, rating.status, rating.supersedes_id) == (1, "valid", None)
    [reason] = rating.reasons
    assert reason.attribution == "staff"
    assert live.survey(token).status == "completed"


def test_correction_supersedes_and_keeps_both(live):
    token = live.new_survey()
    live.start(token)
    live.say(token, "1")
    reply = live.say(token, "不好意思刚才回错了，应该是5")
    assert any("更正为5分" in t for t in reply)
    ratings = live.ratings(token)
    assert [(r.score, r.status) for r in ratings] == [(1, "corrected"), (5, "valid")]
    trail = live.audit("rating", ratings[0].id)
    assert [a.action for a in trail] == ["created", "status_changed"]
    assert trail[1].data["new"] == "corrected"


def test_opt_out_is_acknowledged_then_only_the_closed_notice(live):
    # A later message is never scored and gets the one-line closed notice, not silence.
    from bot.web.messages import CLOSED_NOTICES

    token = live.new_survey()
    live.start(token)
    assert any("退订" in t for t in live.say(token, "TD"))
    assert live.survey(token).status == "opted_out"
    assert live.say(token, "5") == [CLOSED_NOTICES["opted_out"]]
    assert live.ratings(token) == []


def test_score_with_opt_out_keeps_the_rating(live):
    token = live.new_survey()
    live.start(token)
    live.say(token, "5 以后别再发了")
    assert [(r.score, r.status) for r in live.ratings(token)] == [(5, "valid")]
    assert live.survey(token).status == "opted_out"


def test_scale_question_is_answered_then_reasked(live):
    token = live.new_survey()
    live.start(token)
    answer = live.say(token, "5是满意吗？")
    assert any("5分非常满意" in t for t in answer)
    assert live.ratings(token) == []
    live.say(token, "5")
    assert [r.score for r in live.ratings(token)] == [5]


def test_late_reply_is_stored_as_late(live):
    token = live.new_survey()
    live.start(token)
    live.expire(token)
    assert any("超过有效时间" in t for t in live.say(token, "4"))
    assert [(r.score, r.status) for r in live.ratings(token)] == [(4, "late")]
    assert live.survey(token).status == "expired"


def test_complaint_is_flagged_for_supervisor(live):
    token = live.new_survey()
    live.start(token)
    reply = live.say(token, "我要投诉！")
    assert any("投诉已登记" in t for t in reply)
    [flag] = live.flags(token)
    assert flag.kind == "complaint"
    assert live.survey(token).needs_followup is True


def test_unknown_token_and_bad_messages_get_chinese_answers(live):
    r = live.http.post("/api/chat/nope/start")
    assert r.status_code == 404 and "没有找到" in r.json()["messages"][0]["text"]
    token = live.new_survey()
    live.start(token)
    assert "请输入内容" in live.say(token, "   ")[0]
    assert "太长" in live.say(token, "差" * 5000)[0]
    assert live.ratings(token) == []
    page = live.http.get("/s/does-not-exist")
    assert page.status_code == 404 and "没有找到" in page.text


def test_phone_number_in_reason_is_redacted(live):
    token = live.new_survey()
    live.start(token)
    live.say(token, "2")
    live.say(token, "客服说会回我电话13812345678，到现在也没人回")
    [reason] = live.reasons(token)
    assert "13812345678" not in reason.text


@pytest.mark.parametrize("text", ["我要去消协投诉你们", "以后别给我发了，烦", "五分是最满意的意思吗", "刚才手滑点错了，改成4分",
                                  "给3分吧", "好的"])
def test_rasa_hands_every_message_to_the_survey_core(live, text):
    """Rasa's NLU decides nothing (config.yml): any wording is a reply or nlu_fallback, both the survey core's."""
    r = live.rasa_api("POST", "/model/parse", json={"text": text})
    assert r.json()["intent"]["name"] in ("reply", "nlu_fallback")
