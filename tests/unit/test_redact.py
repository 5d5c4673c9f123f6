"""Unit tests for zhtext.redact (expected values written by hand)."""
from __future__ import annotations

import pytest

from zhtext.redact import redact


@pytest.mark.parametrize(
    "raw, expected",
    [
        # mobile numbers
        ("我的手机13812345678", "我的手机[手机号]"),
        ("打 138 1234 5678 找我", "打 [手机号] 找我"),
        ("138-1234-5678", "[手机号]"),
        ("+8613912345678", "[手机号]"),
        ("+86 139 1234 5678", "[手机号]"),
        ("0086-13912345678", "[手机号]"),
        ("８６１３９１２３４５６７８", "[手机号]"),  # full-width digits
        # landlines
        ("电话010-12345678", "电话[电话]"),
        ("0755-88886666转123", "[电话]"),
        ("(021)62345678", "[电话]"),
        ("0571 8888 6666", "[电话]"),
        # ID cards
        ("身份证11010519900307123X", "身份证[身份证号]"),
        ("身份证号是440301198512310012", "身份证号是[身份证号]"),
        ("11010519900307123x", "[身份证号]"),
        # bank cards
        ("卡号6222021234567890", "卡号[银行卡号]"),
        ("卡号6222 0212 3456 7890 123", "卡号[银行卡号]"),
        ("6222-0212-3456-7890", "[银行卡号]"),
        ("6222021234567890123", "[银行卡号]"),
        # e-mail
        ("发到abc.d@qq.com了", "发到[邮箱]了"),
        ("my mail: zhang_san+cc@mail.example.com.cn", "my mail: [邮箱]"),
        # several at once
        ("手机13812345678，邮箱a@b.cn", "手机[手机号]，邮箱[邮箱]"),
    ],
)
def test_redacts(raw, expected):
    assert redact(raw) == expected


@pytest.mark.parametrize(
    "text",
    [
        "客服态度很差",
        "给5分",
        "扣了1380元",
        "订单号2023112312345",  # 13 digits: neither phone nor card
        "400-800-8888",  # the company's service number, not personal data
        "2024-01-02 打的电话",
        "等了30分钟",
        "12345678",
        "",
    ],
)
def test_leaves_other_numbers(text):
    assert redact(text) == text


def test_none():
    assert redact(None) == ""


def test_redaction_is_idempotent():
    t = "手机13812345678，卡号6222021234567890，身份证11010519900307123X"
    assert redact(redact(t)) == redact(t)
