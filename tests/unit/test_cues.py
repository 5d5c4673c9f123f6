"""Complaint flags, threat stripping and typed cause choices, with phrasings of our own."""
from __future__ import annotations

import pytest

from bot.dialogue.cues import cause_choice, contradicted_score, is_complaint, strip_threat


@pytest.mark.parametrize("text", [
    "13912312315", "订单号 88812345001", "卡号6222021234512345", "我的电话是 0755-12315888", "工单号123456",
    "12345", "12315", "尾号12315的那张卡",
])
def test_numbers_never_raise_a_complaint(text):
    assert is_complaint(text) is False


@pytest.mark.parametrize("text", [
    "再这样我就打12315", "我已经向12345反映过了", "我要去消协告你们", "信不信我找媒体曝光", "叫你们主管给我回电话",
    "我要举报这个客服", "去市场监管局投诉你们",
])
def test_complaint_words_raise_a_complaint(text):
    assert is_complaint(text) is True


def test_anger_or_a_plan_to_call_back_is_not_a_complaint_request():
    assert is_complaint("你们这服务太离谱了") is False
    assert is_complaint("我下午再打过来") is False


@pytest.mark.parametrize(("text", "reason"), [
    ("保单退费拖了三周，再不退我就去银保监会投诉", "保单退费拖了三周"),
    ("快递员把包裹扔在门口丢了，不然我就打12315", "快递员把包裹扔在门口丢了"),
    ("电费莫名其妙多扣了两百 我要去消协投诉", "电费莫名其妙多扣了两百"),
    ("我要投诉你们客服乱承诺", "客服乱承诺"),
    ("网一直断，我要找你们领导", "网一直断"),
    ("我要投诉", ""),
])
def test_strip_threat_keeps_the_grievance(text, reason):
    assert strip_threat(text) == reason


@pytest.mark.parametrize(("text", "key"), [
    ("那个接线的小哥不行", "staff"), ("客服人員的態度", "staff"), ("是柜员的问题", "staff"),
    ("收费规则不合理", "policy"), ("你們公司的規定", "policy"), ("套餐的问题", "policy"),
    ("网速太慢", "network_system"), ("系統老是當機", "network_system"), ("app闪退", "network_system"),
    ("其实都不是", "other"), ("我自己的原因", "other"), ("说不好", "other"),
    ("第2个", "policy"), ("选4", "other"), ("2. 公司业务或规定", "policy"),
    ("不是客服的事，是你们套餐太贵", "policy"), ("跟客服没关系，是信号不好", "network_system"),
])
def test_typed_cause_choices(text, key):
    assert cause_choice(text) == key


@pytest.mark.parametrize("text", ["客服态度差，网络也不好", "规定太死，系统也卡", "好", "嗯嗯", "6", "随便吧啊"])
def test_two_options_or_none_are_refused(text):
    assert cause_choice(text) is None


@pytest.mark.parametrize("text", ["3分或者4分", "4分 还是5分吧", "2分，或者1分"])
def test_two_scores_are_not_a_contradiction(text):
    assert contradicted_score(text) is None


def test_words_still_contradict_a_digit():
    assert contradicted_score("5分 非常不满意") == (5, "非常不满意")
