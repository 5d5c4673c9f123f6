"""Unit tests for classifiers.normalize (expected values written by hand)."""
from __future__ import annotations

import pytest
from opencc import OpenCC

from classifiers.normalize import normalize, to_halfwidth, to_simplified


@pytest.mark.parametrize(
    "raw, expected",
    [
        (None, ""),
        ("", ""),
        ("   ", ""),
        ("ＡＢＣ１２３", "ABC123"),
        ("５分", "5分"),
        ("满意！！", "满意!!"),
        ("態度很差", "态度很差"),
        ("還跟我吵起來", "还跟我吵起来"),
        ("評價簡訊太多了", "评价简讯太多了"),
        ("客服　态度\t\n差", "客服 态度 差"),
        ("  前后有空格  ", "前后有空格"),
        ("零宽\u200b字符\ufeff", "零宽字符"),
        ("控制\x07字符", "控制字符"),
        ("emoji 😡 留着", "emoji 😡 留着"),
    ],
)
def test_normalize(raw, expected):
    assert normalize(raw) == expected


def test_halfwidth_ideographic_space():
    assert to_halfwidth("一\u3000二") == "一 二"


def test_normalize_is_idempotent():
    for t in ["態度很差，還跟我吵起來　ＡＢＣ", "套餐太贵😤", "按错了 应该是5"]:
        assert normalize(normalize(t)) == normalize(t)


@pytest.mark.parametrize(
    "text",
    [
        "客服态度很差",  # already simplified: fast path
        "態度很差，還掛我電話",
        "乾乾淨淨的頭髮",
        "这个面条很好吃，头发干了",
        "我们一起去營業廳辦理",
        "上鍊",
        "",
    ],
)
def test_fast_path_matches_opencc(text):
    assert to_simplified(text) == OpenCC("t2s").convert(text)
