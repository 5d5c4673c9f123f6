"""Text normalisation shared by the rating parser and the cause classifier.

Customers type on phones with full-width digits, Traditional characters,
Taiwan or Hong Kong wording, written Cantonese and stray whitespace; every
consumer sees the same canonical form: half-width, mainland Simplified
Mandarin, single spaces.

Three steps, in this order:

1. :data:`CANTONESE_TO_MANDARIN`: common written-Cantonese particles and
   pronouns → Mandarin (唔→不, 冇→没, 係→是 …). OpenCC converts script, not
   grammar, so it leaves these alone; and ``係`` must be seen before OpenCC
   turns it into ``系``.
2. OpenCC ``hk2s`` (the maintained ``opencc`` package, C++ core): Hong Kong
   variant characters and Traditional → Simplified characters (identical to
   plain ``t2s`` on every text of the project's data sets).
3. :data:`REGIONAL_TO_MAINLAND`: Taiwan / Hong Kong wording → mainland wording
   (网路→网络, 软体→软件, 资讯→信息, 简讯→短信), on the Simplified text.

Why not OpenCC's ``tw2sp``: its phrase table (TWPhrasesRev) is meant for
Taiwan text only and rewrites ordinary mainland words — on the project data
小程序→小进程, 行程→进程, 文件→文档, 呼叫→调用, 资料→数据, 蚌埠→蚌端口,
么→幺. Table 3 keeps the entries of that table (plus a few everyday words)
that have no other meaning in mainland text.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import opencc

__all__ = [
    "CANTONESE_TO_MANDARIN",
    "REGIONAL_TO_MAINLAND",
    "cantonese_to_mandarin",
    "normalize",
    "regional_to_mainland",
    "to_halfwidth",
    "to_simplified",
]

_WS = re.compile(r"\s+")

# OpenCC configuration for step 2 (see the module docstring).
OPENCC_CONFIG = "hk2s.json"

# Written Cantonese → Mandarin for common particles and pronouns. Longer
# entries come first so that a compound wins over its characters. Every key is
# a character (or sequence) not used in ordinary Mandarin text, except where a
# pattern in _CANTONESE_GUARDED restricts it; see tests/unit/test_normalize.py.
CANTONESE_TO_MANDARIN: dict[str, str] = {
    # Compounds with 唔 whose word-by-word reading would be wrong Mandarin.
    "唔該": "谢谢",  # "thanks / please", not 不该
    "唔该": "谢谢",
    "唔得": "不行",
    "唔使": "不用",
    "唔識": "不会",
    "唔识": "不会",
    # Simplified-script Cantonese writes 係 as 系; only these fixed phrases are safe.
    "唔系": "不是",
    "唔係": "不是",
    "系咪": "是不是",
    "係咪": "是不是",
    "佢哋": "他们",
    "你哋": "你们",
    "我哋": "我们",
    "乜嘢": "什么",
    "咁樣": "这样",
    "咁样": "这样",
    "佢地": "他们",  # common Simplified spelling of 佢哋
    # 麻麻哋 / 麻麻地 is "so-so", not a plural: 哋 alone is left as it is.
    "麻麻哋": "一般般",
    "麻麻地": "一般般",
    "冇": "没",
    "嘅": "的",
    "咗": "了",
    "佢": "他",
    "乜": "什么",
    "啲": "些",
    "喺": "在",
}

# Characters that are also ordinary Mandarin (in some words), mapped only in context:
# * 唔 is Mandarin's interjection "唔，好吧"; it means 不 only before another Chinese
#   character (唔满意, 唔係).
# * 咁 before a word is 这么 (咁贵), elsewhere 这样 (都係咁, 求佢咁).
# * 係 is the Traditional form of 系 in 關係/聯係/干係 and a common typo for 系 in 係統;
#   elsewhere in Traditional text it is Cantonese 是.
_CANTONESE_GUARDED: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"唔(?=[\u3400-\u9fff])"), "不"),
    (re.compile(r"咁(?=[\u3400-\u9fff])"), "这么"),
    (re.compile(r"咁"), "这样"),
    (re.compile(r"(?<![關关聯联干幹])係(?![統统數数列])"), "是"),
)
_CANTONESE_PLAIN = re.compile("|".join(map(re.escape, sorted(CANTONESE_TO_MANDARIN, key=len, reverse=True))))
_CANTONESE_TRIGGER = re.compile("[唔咁係" + "".join(sorted({k[0] for k in CANTONESE_TO_MANDARIN})) + "]")


# Taiwan / Hong Kong wording → mainland wording, keys in Simplified script (step 3).
# Chosen from OpenCC's TWPhrasesRev and everyday call-centre words; a word is here
# only if it has no other meaning in mainland text (see the module docstring).
REGIONAL_TO_MAINLAND: dict[str, str] = {
    "网际网路": "互联网",
    "行动网路": "移动网络",
    "网路": "网络",
    "宽频": "宽带",
    "频宽": "带宽",
    "讯号": "信号",
    "简讯": "短信",
    "讯息": "消息",
    "资讯": "信息",
    "电视讯号": "电视信号",  # not 电视频号: 视讯 would match first
    "视讯": "视频",
    "影片": "视频",
    "音讯": "音频",
    "软体": "软件",
    "硬体": "硬件",
    "韧体": "固件",
    "应用程式": "应用程序",
    "程式": "程序",
    "伺服器": "服务器",
    "记忆体": "内存",
    "硬碟": "硬盘",
    "随身碟": "U盘",
    "萤幕": "屏幕",
    "滑鼠": "鼠标",
    "印表机": "打印机",
    "列印": "打印",
    "影印": "复印",
    "连结": "链接",
    "网址列": "地址栏",
    "数位": "数字",
    "部落格": "博客",
    "使用者": "用户",
    "登入": "登录",
    "登出": "注销",
    "当机": "死机",
    "蓝芽": "蓝牙",
    "晶片": "芯片",
    "行动电话": "手机",
    "手提电话": "手机",
    "计程车": "出租车",
    "的士": "出租车",
}
_REGIONAL = re.compile("|".join(map(re.escape, sorted(REGIONAL_TO_MAINLAND, key=len, reverse=True))))


def cantonese_to_mandarin(text: str) -> str:
    """Map common written-Cantonese particles and pronouns to Mandarin.

    Args:
        text: Text in either script (the Cantonese characters are the same in both).

    Returns:
        The text with 唔→不, 冇→没, 係→是, 嘅→的, 咗→了, 佢→他, 乜→什么, 咁→这么/这样,
        啲→些, 哋→们, 喺→在 (and the compounds in :data:`CANTONESE_TO_MANDARIN`);
        Mandarin text comes back unchanged.
    """
    if not _CANTONESE_TRIGGER.search(text):  # almost all texts: nothing to do
        return text
    text = _CANTONESE_PLAIN.sub(lambda m: CANTONESE_TO_MANDARIN[m.group(0)], text)
    for pattern, repl in _CANTONESE_GUARDED:
        text = pattern.sub(repl, text)
    return text


def regional_to_mainland(text: str) -> str:
    """Replace Taiwan / Hong Kong wording by mainland wording (Simplified input).

    Args:
        text: Simplified-script text.

    Returns:
        The text with every :data:`REGIONAL_TO_MAINLAND` key replaced, longest first.
    """
    return _REGIONAL.sub(lambda m: REGIONAL_TO_MAINLAND[m.group(0)], text)


@lru_cache(maxsize=1)
def _opencc() -> opencc.OpenCC:
    # Building the converter loads its dictionaries; do it once, lazily.
    return opencc.OpenCC(OPENCC_CONFIG)


def to_simplified(text: str) -> str:
    """Traditional (Taiwan, Hong Kong) or Cantonese text → mainland Simplified Mandarin.

    No fast path for already-Simplified text: OpenCC's C++ core converts a
    typical reply in a few microseconds (the 7,574 data items in 0.03 s), so
    checking first whether conversion could change anything saves nothing.

    Args:
        text: Any Chinese text.

    Returns:
        The text after :func:`cantonese_to_mandarin`, OpenCC ``hk2s`` and
        :func:`regional_to_mainland`.
    """
    return regional_to_mainland(_opencc().convert(cantonese_to_mandarin(text)))


_HALFWIDTH = {0x3000: " ", **{code: chr(code - 0xFEE0) for code in range(0xFF01, 0xFF5F)}}


def to_halfwidth(text: str) -> str:
    """Convert full-width ASCII variants (U+FF01–FF5E) and the ideographic space to half-width."""
    return text.translate(_HALFWIDTH)


def _drop_invisible(text: str) -> str:
    """Drop zero-width (Cf) and control (Cc) characters except newline and tab."""
    if text.isprintable():  # fast path: no Cc/Cf (nor other non-printables) at all
        return text
    return "".join(ch for ch in text if unicodedata.category(ch) not in ("Cf", "Cc") or ch in "\n\t")


def normalize(text: str | None) -> str:
    """Return the canonical form of a customer's message.

    Full-width → half-width, Cantonese particles → Mandarin, Traditional →
    mainland Simplified (with Taiwan/Hong Kong phrases), invisible characters
    dropped, whitespace collapsed and trimmed. ``None`` becomes ``""``.

    Args:
        text: Raw message as typed by the customer.

    Returns:
        Normalised text (may be empty).
    """
    if not text:
        return ""
    text = str(text)
    return _normalize_short(text) if _memo and len(text) <= _CACHED_CHARS else _normalize(text)


# An import sees the same short replies over and over; the result depends on the text alone. Only a process
# that asks for it keeps them (the import's workers, which end with the import): a long-running server would
# otherwise hold customers' raw words in memory beyond an erasure. Long texts are never kept.
_CACHED_CHARS = 200
_memo = False


def remember_short_texts() -> None:
    """Keep the results for short texts in this process from now on (see :data:`_CACHED_CHARS`)."""
    global _memo
    _memo = True


def _normalize(text: str) -> str:
    text = to_halfwidth(text)
    # Drop zero-width and control characters that phones and copy-paste insert.
    text = _drop_invisible(text)
    text = to_simplified(text)
    return _WS.sub(" ", text).strip()


_normalize_short = lru_cache(maxsize=16_384)(_normalize)
