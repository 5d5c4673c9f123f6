"""Example tests of zhtext.redact per kind, its false positives, span mapping and idempotence.

Expected outputs are written by hand. The corpora in benchmarks/data are
hand-written too; here they are used as a regression floor (every negative
unchanged, every positive's listed substrings gone).
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from zhtext.redact import PLACEHOLDERS, find_pii, redact
from zhtext.textview import view_of
from zhtext.validators import id_card_check_char, is_bank_card, is_id_card, is_landline, is_mobile, luhn_ok

DATA = Path(__file__).resolve().parents[2] / "benchmarks" / "data"


@pytest.mark.parametrize("raw, expected", [
    # mobile: the probe's separators and their relatives
    ("我的电话186  2222  3333谢谢", "我的电话[手机号]谢谢"),
    ("177，4444，5555", "[手机号]"),
    ("186\u200b2222\u200b3333打这个", "[手机号]打这个"),
    ("186 - 2222 - 3333", "[手机号]"),
    ("手机139.1234.5678", "手机[手机号]"),
    ("打152/6677/8899", "打[手机号]"),
    ("１８６　２２２２　３３３３", "[手机号]"),
    ("电话一八六二二二二三三三三", "电话[手机号]"),
    ("幺八六 二二二二 三三三三，一直没人接", "[手机号]，一直没人接"),
    ("+86 186 2222 3333", "[手机号]"),
    ("0086 18622223333", "[手机号]"),
    # landlines
    ("座机010-12345678", "座机[电话]"),
    ("(021)62345678转123找我", "[电话]找我"),
    ("0755 8888 6666 转 8001", "[电话]"),
    ("0898-66881234-8001是公司的", "[电话]是公司的"),
    ("家里电话 87654321 晚上有人", "家里电话 [电话] 晚上有人"),
    # ID cards
    ("身份证 110105 1990 0307 123X", "身份证 [身份证号]"),
    ("老身份证110105900307123", "老身份证[身份证号]"),
    ("证件3201\u200b0219\u200b8808\u200b0810\u200b15", "证件[身份证号]"),
    # bank cards
    ("卡号 6222，0212，3456，7890", "卡号 [银行卡号]"),
    ("信用卡 3568 8900 1234 5678 被盗刷了", "信用卡 [银行卡号] 被盗刷了"),
    # e-mail
    ("邮箱 zhou @ 163.com", "邮箱 [邮箱]"),
    ("zhou at 163 dot com", "[邮箱]"),
    ("ｚｈｏｕ＠１６３．ｃｏｍ", "[邮箱]"),
    ("邮箱 zhangwei 艾特 qq 点 com", "邮箱 [邮箱]"),
    # WeChat and QQ after their cues; the cue stays
    ("微信 zhou_888", "微信 [微信号]"),
    ("weixin: zhou_888", "weixin: [微信号]"),
    ("VX：zhou888a", "VX：[微信号]"),
    ("v信 abc_123456 备注投诉", "v信 [微信号] 备注投诉"),
    ("微 信 xiaoming-99", "微 信 [微信号]"),
    ("Q Q 12345678", "Q Q [QQ号]"),
    ("qq号 1234 5678 加我", "qq号 [QQ号] 加我"),
    ("扣扣 87654321", "扣扣 [QQ号]"),
    # addresses, plates, names
    ("北京市朝阳区建国路88号院3号楼2单元501", "[地址]"),
    ("寄到广东深圳南山区科技园xx路12号", "寄到[地址]"),
    ("住在小区3栋2单元1801", "住在[地址]"),
    ("地址是XX村5组", "地址是[地址]"),
    ("车牌京A12345", "车牌[车牌号]"),
    ("我的车粤B·D12345", "我的车[车牌号]"),
    ("沪AD12345的车主就是我", "[车牌号]的车主就是我"),
    ("车牌 京 A 12345", "车牌 [车牌号]"),
    ("收件人 王某某 电话13812345678", "收件人 [姓名] 电话[手机号]"),
    ("联系人：李女士", "联系人：[姓名]"),
    ("我叫张伟，电话13812345678", "我叫[姓名]，电话[手机号]"),
])
def test_redacts_each_kind(raw, expected):
    assert redact(raw) == expected


@pytest.mark.parametrize("text", [
    "订单号2023112312345，还没发货",
    "订单20240115083012876543退款进度是多少",
    "运单号 4300123456789012 一直显示运输中",
    "发票号码 044001900111 开错了抬头",
    "我办的199元套餐，扣了3000元",
    "晚上9点打过去就说下班了",
    "给5分吧",
    "等了40分钟才有人接",
    "2024-01-02 14:30打的电话",
    "2023年12月25日下午3点投诉的",
    "总共花了12,345元",
    "打400-800-8888一直转不过去",
    "3号4号都打了，没人接",
    "坐地铁1号线过去要1个小时",
    "客服中心3组的人态度很差",
    "微信转了 12000元给商家",
    "QQ群里问过了",
    "我叫车等了40分钟",
    "我是王者荣耀的老玩家",
    "本人致电咨询时，该坐席人员多次打断本人陈述",
    "一五一十地跟客服说了",
    "京东618买的空调",
    "升级到3.2.1版本以后闪退",
])
def test_leaves_ordinary_numbers_and_words(text):
    assert redact(text) == text


def _rows(name: str) -> list[dict]:
    return [json.loads(line) for line in (DATA / name).open(encoding="utf-8") if line.strip()]


def test_no_handwritten_negative_changes():
    changed = [(r["text"], redact(r["text"])) for r in _rows("redaction_negatives.jsonl")
               if redact(r["text"]) != r["text"]]
    assert changed == []


def test_every_handwritten_positive_loses_its_personal_data():
    left = [(r["text"], v) for r in _rows("redaction_positives.jsonl") for v in r["vanish"] if v in redact(r["text"])]
    assert left == []


@pytest.mark.parametrize("text", [r["text"] for r in _rows("redaction_positives.jsonl")]
                         + ["手机13812345678，卡号6222021234567890，身份证11010519900307123X"])
def test_idempotent(text):
    once = redact(text)
    assert redact(once) == once


def test_placeholders_are_stable():
    assert PLACEHOLDERS == {
        "email": "[邮箱]", "id_card": "[身份证号]", "bank_card": "[银行卡号]", "mobile": "[手机号]",
        "landline": "[电话]", "wechat": "[微信号]", "qq": "[QQ号]", "address": "[地址]", "plate": "[车牌号]",
        "name": "[姓名]",
    }


# --- span mapping: folded view positions back to the original text ---------------------


def test_spans_cover_exactly_the_original_characters():
    text = "打\u200b186\u200b2222\u200b3333\u200b，谢谢"
    assert find_pii(text) == [(2, 15, "mobile")]
    assert text[2:15] == "186\u200b2222\u200b3333"
    assert redact(text) == "打\u200b[手机号]\u200b，谢谢"  # zero-width characters outside the number stay


def test_spans_with_full_width_and_ideographic_spaces():
    text = "卡号：６２２２　０２１２　３４５６　７８９０。"
    [(start, end, kind)] = find_pii(text)
    assert (text[start:end], kind) == ("６２２２　０２１２　３４５６　７８９０", "bank_card")


def test_spans_of_several_kinds_in_order():
    text = "我叫张伟，电话 186 - 2222 - 3333，邮箱 zhou @ 163.com"
    spans = [(text[a:b], kind) for a, b, kind in find_pii(text)]
    assert spans == [("张伟", "name"), ("186 - 2222 - 3333", "mobile"), ("zhou @ 163.com", "email")]


def test_view_offsets_point_at_original_characters():
    text = "a\u200bb\ufeff，c"
    view = view_of(text)
    assert view.text == "ab,c"
    assert [text[view.original_span(i, i + 1)[0]] for i in range(len(view.text))] == ["a", "b", "，", "c"]
    assert view.original_span(0, 2) == (0, 3)


# --- validators ------------------------------------------------------------------------


def test_id_card_check_character_of_the_standards_example():
    assert id_card_check_char("11010519491231002") == "X"  # GB 11643-1999's worked example
    assert is_id_card("11010519491231002X")
    assert is_id_card("110105194913310021")  # month 13, but the check character is right (a typo in the date)
    assert not is_id_card("110105194913310025")  # month 13 and a wrong check character
    assert is_id_card("110105491231002")  # 15-digit form
    assert not is_id_card("990105491231002")  # no such province


def test_luhn_and_bank_cards():
    assert luhn_ok("4111111111111111") and not luhn_ok("4111111111111112")
    assert is_bank_card("6222021234567890")  # UnionPay prefix
    assert not is_bank_card("2023112312345670")  # order-like, Luhn fails
    assert is_bank_card("2023112312345670", cue=True)


def test_phone_number_plans():
    assert is_mobile("13812345678") and is_mobile("8613812345678") and is_mobile("008613812345678")
    assert not is_mobile("12812345678")
    assert is_landline("01012345678") and is_landline("075588886666") and is_landline("05718765432")
    assert not is_landline("4008008888")


def test_empty_and_none():
    assert redact(None) == "" and redact("") == ""
