"""Unit tests for zhtext.normalize (expected values written by hand)."""
from __future__ import annotations

import pytest
from opencc import OpenCC

from zhtext.normalize import cantonese_to_mandarin, normalize, to_halfwidth, to_simplified


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
        # Was "评价简讯太多了" under plain t2s; Taiwan 簡訊 is mainland 短信 (regional wording).
        ("評價簡訊太多了", "评价短信太多了"),
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


@pytest.mark.parametrize(
    "raw, expected",
    [
        # Taiwan wording → mainland wording
        ("家裡的網路一直斷", "家里的网络一直断"),
        ("軟體一直當機", "软件一直死机"),
        ("客服給的資訊是錯的", "客服给的信息是错的"),
        ("手機訊號很差，寬頻也常斷線", "手机信号很差,宽带也常断线"),
        ("評價連結打不開", "评价链接打不开"),
        ("電視訊號很差", "电视信号很差"),
        ("視訊通話一直卡", "视频通话一直卡"),
        # Hong Kong variant characters and wording
        ("裏面衞生好差", "里面卫生好差"),
        ("屋企個網絡好差", "屋企个网络好差"),
        # Cantonese particles → Mandarin
        ("唔滿意", "不满意"),
        ("冇問題", "没问题"),
        ("應該係5分", "应该是5分"),
        ("你哋嘅客服", "你们的客服"),
        ("佢哋講咗會打返畀我", "他们讲了会打返畀我"),
        ("乜嘢都唔知", "什么都不知"),
        ("咁貴", "这么贵"),
        ("都係咁", "都是这样"),
        ("有啲貴", "有些贵"),
        ("我喺新界住", "我在新界住"),
        ("唔該晒", "谢谢晒"),
        ("唔得", "不行"),
        ("唔系唔满意", "不是不满意"),
        ("係咪你哋嘅問題", "是不是你们的问题"),
    ],
)
def test_regional_and_cantonese(raw, expected):
    assert normalize(raw) == expected


@pytest.mark.parametrize(
    "text",
    [
        # Ordinary mainland Mandarin that plain tw2sp would damage, and words whose
        # characters look Cantonese or Taiwanese out of context.
        "小程序一直转圈",
        "行程单生成不了",
        "政策文件上写的不一样",
        "呼叫流程有待优化",
        "保险理赔要的资料太多",
        "蚌埠住了",
        "肿么回",
        "工作上的事",
        "没关系",
        "系统一直故障",
        "我们的关系很好",
        "唔,好吧",
        "客服态度很差,不耐烦",
        "线上办理太麻烦",
        "信号不好,网络也慢",
    ],
)
def test_plain_mandarin_unchanged(text):
    assert normalize(text) == text


def test_cantonese_mapping_keeps_traditional_relations():
    # 關係 and the typo 係統 keep 係 (OpenCC then makes it 系), they are not 是.
    assert cantonese_to_mandarin("沒關係，係統問題") == "沒關係，係統問題"
    assert normalize("沒關係，係統問題") == "没关系,系统问题"


@pytest.mark.parametrize("text,expected", [
    ("麻麻哋", "一般般"), ("服务麻麻地啦", "服务一般般啦"), ("佢哋好差", "他们好差"), ("佢地唔理我", "他们不理我"),
])
def test_cantonese_so_so_is_not_a_plural(text, expected):
    assert normalize(text) == expected


def test_a_server_process_keeps_no_customer_words_in_memory():
    """Only the import's workers remember short texts; anywhere else nothing a customer wrote is kept."""
    from zhtext import normalize as normalize_module
    from zhtext import redact as redact_module

    redact_module.redact("我的手机13812345678一直没信号")
    normalize_module.normalize("我的手机13812345678一直没信号")
    assert redact_module._redact_short.cache_info().currsize == 0
    assert normalize_module._normalize_short.cache_info().currsize == 0
