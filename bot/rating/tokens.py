"""Score tokens of a reply: scale words, stars, Arabic digits and Chinese numerals.

Each scanner returns :class:`Token` spans over the normalised text; the parser
(``bot.rating.parser``) decides what the tokens of one reply mean together.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import cn2an

# --------------------------------------------------------------------------
# Character classes and small helpers
# --------------------------------------------------------------------------

# The mask replaces spans already consumed; normalize() drops control
# characters, so it can never occur in real input.
MASK = "\x00"
_DELIM_CHARS = " ,.!?;:~、。…\u00b7" + MASK
DELIM_RE = re.compile(r"([\s,.!?;:~、。…\u00b7\x00]+)")
EDGE_DELIMS_RE = re.compile(r"^[\s,.!?;:~、。…\u00b7\x00]+|[\s,.!?;:~、。…\u00b7\x00]+$")
SPACES_RE = re.compile(r"\s+")
PARTICLES = "吧啊呀哦了的呢嘛哈啦喔哇"
_CODE_CHARS = frozenset("_=<>'\"\\/@#$&|^`(){}[]")
_ASCII_LETTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")

# Keycap sequences (5️⃣) and emoji presentation selectors would otherwise sit
# between a digit or star and its neighbours.
_STRIP_MARKS = {0xFE0F: None, 0xFE0E: None, 0x20E3: None}
# Circled numbers ①-⑳ are offered by Chinese phone keyboards.
_CIRCLED = {cp: str(int(unicodedata.numeric(chr(cp)))) for cp in range(0x2460, 0x2474)}
PREPARE_TABLE = {**_STRIP_MARKS, **_CIRCLED}


def meaningful(text: str) -> bool:
    """True when ``text`` has at least one letter or digit (emoji and punctuation do not count)."""
    return any(unicodedata.category(ch)[0] in "LN" for ch in text)


def is_delim(ch: str) -> bool:
    return ch in _DELIM_CHARS or ch.isspace()



# --------------------------------------------------------------------------
# Scale words
# --------------------------------------------------------------------------

_STRONG = ("非常", "很", "十分", "特别", "超级", "超", "相当", "极其", "极", "太", "真的很",
           "真的非常", "非常非常", "百分百", "百分之百", "万分", "好", "最")
_MILD = ("比较", "挺", "蛮", "还算", "还挺", "还比较", "算是", "基本", "基本上", "还", "较为", "较",
         "几")  # Cantonese 几满意 = 挺满意
_SOFT_NEG = ("不太", "不是很", "不是太", "不怎么", "不大", "不够", "不是特别", "不是非常",
             "不是十分", "不算", "不算太", "不算很", "有点不", "有些不", "有点儿不", "比较不",
             "不很", "不是那么", "没那么", "没有那么", "不那么",
             # Cantonese 唔係好/唔係幾 arrive here as 不是好/不是几 (bot.rating.dialect).
             "不是好", "不是几", "不是挺")


def _build_scale_words() -> dict[str, int]:
    words: dict[str, int] = {"满意": 4, "不满意": 2}
    for p in _STRONG:
        words[p + "满意"] = 5
        words[p + "不满意"] = 1
    for p in _MILD:
        words[p + "满意"] = 4
    for p in _SOFT_NEG:
        words[p + "满意"] = 2
    for w in ("满分", "好评", "五星", "💯"):
        words[w] = 5
    for w in ("一般般", "一般", "还行", "凑合", "凑活", "普通", "还可以", "马马虎虎", "中规中矩", "普普通通",
              "麻麻哋", "麻麻地", "麻麻"):  # the last three: Cantonese "so-so"
        words[w] = 3
    for w in ("很差", "太差", "非常差", "特别差", "超级差", "超差", "极差", "好差", "真差", "十分差",
              "最差", "差劲", "很差劲", "太差劲", "非常差劲", "差评", "零分", "负分"):
        words[w] = 1
    return words


_SCALE_WORDS = _build_scale_words()
# Scale words that name the point itself, so echoing them needs no offer to correct.
_EXPLICIT_WORDS = frozenset({"满分", "五星", "💯", "零分"})
# Words that are scale words only when not part of a longer unrelated word.
_WORD_LOOKAHEAD = {"满意": "(?!度)", "普通": "(?!话)", "好评": "(?!率)"}
# Longest first so "非常不满意" wins over "不满意" and "满意" at the same position.
SCALE_RE = re.compile(
    "|".join(
        re.escape(w) + _WORD_LOOKAHEAD.get(w, "")
        for w in sorted(_SCALE_WORDS, key=len, reverse=True)
    )
)
_NEGATED_RE = re.compile(r"(?:不|没|没有|不是|不算|别|并不|并非)(?:给|打|是|算|要|会|会给|太|很)?$")

# Stars: a run of filled stars (optionally padded with empty ones), or one
# star times a count ("⭐x5").
STAR_RE = re.compile(r"(?:[⭐★🌟] ?)+(?:☆ ?)*(?:[x×*] ?([0-9]{1,3}))?")


# --------------------------------------------------------------------------
# Numbers
# --------------------------------------------------------------------------

_ARABIC_RE = re.compile(r"[0-9]+(?:\.[0-9]+)?")
_CN_RUN_RE = re.compile(r"[零〇一二两三四五六七八九十百千万壹贰叁肆伍陆柒捌玖拾佰仟]+")

# A number followed by one of these measures time, quantity or money.
_UNIT_AFTER_RE = re.compile(
    r"\s?(?:分(?:钟|多|半|之(?!间)|钱|期|机|店|行|析|别|配|开|类|享|手|明|布|散|成|红|担|解|裂|工|段|组"
    r"|[零〇一二两三四五六七八九十])"
    r"|个(?!星(?!期))|多(?!谢)|小时|钟头|钟|时|天|日|号|月|年|周|星期|礼拜|秒|次|遍|趟|块|元|毛|角|岁"
    r"|楼|层|点(?!赞)|倍|折|%|位|人|件|条|台|部|米|公里|斤|公斤|克|万|千|百|十|来|余|几|句|名"
    r"|张|份|单|箱|包|瓶|盒|双|套|笔|项|辆|只|本|封|户|间|家|趟|回|下|道|步|样|种|版|集|成)"
)
# A number after these is an identifier or ordinal, not an answer.
_ID_BEFORE_RE = re.compile(
    r"(?:工号|编号|号码|单号|订单|工单|运单|票号|房号|会员号|合同号|验证码|校验码|尾号|手机号|账号|卡号|密码|房间"
    r"|第|周|星期|礼拜|id|no)[\s:#：]*(?:是|为)?[\s:#：]*$",
    re.I,
)
# Verbs and fillers that introduce a score: "我给5分", "打个4分", "应该是5".
_SCORE_PREFIX_RE = re.compile(
    r"(?:(?:我|那就|那|就给|就|给个|给|打个|打|选|回复|回|评分为|评分|评|应该是|是|为|改为|改成|算|分数)\s*)+$"
)
_SCORE_SUFFIX_RE = re.compile(
    r"\s?(?:分(?!钟)|颗星|个星(?!期)|颗⭐|星(?!期)|[⭐★🌟])?[" + PARTICLES + r"]*"
)
_CN_UNIT_RE = re.compile(r"分|颗星|个星(?!期)|星(?!期)|[⭐★🌟]")
_ADVERB_FEN_RE = re.compile(r"[十万百]分")


@dataclass
class Token:
    start: int
    end: int
    value: int | None  # None: a number in score position that is not 1-5
    negated: bool = False
    core: int = -1  # where the number itself starts (start includes "我给", "应该是" ...)
    explicit: bool = True  # False for a scale word that only implies a score ("满意", "一般")


def _score_prefix_start(text: str, start: int) -> int:
    """Extend a token's start over the verbs that introduce it ("我给5分" → "我给")."""
    window_start = max(0, start - 10)
    m = _SCORE_PREFIX_RE.search(text[window_start:start])
    return window_start + m.start() if m else start


def _value_in_range(value: int | None) -> int | None:
    return value if value is not None and 1 <= value <= 5 else None


# A 差 word rates the service only when its clause is about the service (or
# about nothing in particular): "态度太差" and "太差了" rate, "app太差" and
# "信号太差" complain about something else and must not invent a score.
_BAD_WORD_RE = re.compile(r"差")
_ABOUT_SERVICE_RE = re.compile(
    r"服务|客服|态度|人员|接线员|工作人员|专员|坐席|小姐姐|小姑娘|小哥|小伙子|美女|她|他|你们的?|你|整体|总体"
    r"|体验|这次|本次|今天|通话|沟通|感觉|觉得|我觉得|说实话|讲真|真的|实在|就是|简直|都|也|还|总之|反正|评价"
    r"|又|不|没|而且|但是?|可是|而|并"
    r"|[我的是得" + PARTICLES + r"\s]"
)


def _about_something_else(text: str, start: int) -> bool:
    """True when the clause before ``start`` names a subject that is not the service ("app", "信号").

    ``text`` is the partly masked reply: scale words found earlier end the clause.
    """
    clause_start = start
    while clause_start > 0 and not is_delim(text[clause_start - 1]):
        clause_start -= 1
    subject = _ABOUT_SERVICE_RE.sub("", text[clause_start:start])
    return any(unicodedata.category(ch)[0] in "LN" for ch in subject)


def scan_words(text: str, masked: list[str]) -> list[Token]:
    tokens = []
    for m in SCALE_RE.finditer(text):
        masked[m.start() : m.end()] = MASK * (m.end() - m.start())
        word = m.group(0)
        if _BAD_WORD_RE.search(word) and "评" not in word and _about_something_else("".join(masked), m.start()):
            continue
        before = text[max(0, m.start() - 4) : m.start()]
        tokens.append(Token(m.start(), m.end(), _SCALE_WORDS[word], negated=bool(_NEGATED_RE.search(before)),
                            explicit=word in _EXPLICIT_WORDS))
    return tokens


def scan_stars(text: str, masked: list[str]) -> list[Token]:
    tokens = []
    for m in STAR_RE.finditer(text):
        run = m.group(0)
        filled = sum(run.count(c) for c in "⭐★🌟")
        prev = text[m.start() - 1] if m.start() else ""
        if filled == 1 and m.group(1) is None and (prev.isdigit() or _CN_RUN_RE.match(prev)):
            # "5⭐" / "五⭐": the star is the unit of the number before it.
            continue
        value = int(m.group(1)) if m.group(1) and filled == 1 else filled
        tokens.append(Token(m.start(), m.end(), _value_in_range(value), core=m.start()))
        masked[m.start() : m.end()] = MASK * (m.end() - m.start())
    return tokens


def scan_arabic(text: str, masked: str) -> list[Token]:
    tokens = []
    for m in _ARABIC_RE.finditer(masked):
        start, end, digits = m.start(), m.end(), m.group(0)
        prev = masked[start - 1] if start else ""
        prev2 = masked[start - 2] if start > 1 else ""
        nxt = masked[end] if end < len(masked) else ""
        nxt2 = masked[end + 1] if end + 1 < len(masked) else ""
        if prev in _ASCII_LETTERS or nxt in _ASCII_LETTERS or prev in _CODE_CHARS or nxt in _CODE_CHARS:
            continue  # 5G, iPhone5, alert(1), '1'='1'
        if (prev == ":" and prev2.isdigit()) or (nxt == ":" and nxt2.isdigit()):
            continue  # clock time 3:30
        if prev in ".点" and prev2.isdigit():
            continue  # tail of a version number 1.2.3, or of a time / decimal 4点5
        if _UNIT_AFTER_RE.match(masked, end):
            continue  # 5分钟, 3个小时, 2个月
        if _ID_BEFORE_RE.search(masked[max(0, start - 8) : start]):
            continue  # 工号3, 订单号 123456, 第5
        value: int | None
        if "." in digits or (len(digits) > 1 and digits[0] == "0"):
            value = None
        elif prev == "-" and not prev2.isdigit():
            value = None  # negative number
        else:
            value = _value_in_range(int(digits)) if len(digits) <= 2 else None
        suffix = _SCORE_SUFFIX_RE.match(masked, end)
        tokens.append(Token(_score_prefix_start(text, start), suffix.end() if suffix else end, value, core=start))
    return tokens


def scan_chinese(text: str, masked: str) -> list[Token]:
    tokens = []
    for m in _CN_RUN_RE.finditer(masked):
        start, end, run = m.start(), m.end(), m.group(0)
        if _ID_BEFORE_RE.search(masked[max(0, start - 8) : start]):
            continue  # 第一, 周五
        unit = _CN_UNIT_RE.match(masked, end)
        if unit:
            if _UNIT_AFTER_RE.match(masked, end):
                continue  # 五分钟, 三分之一, 一分一秒
            fen = _ADVERB_FEN_RE.match(masked, end - 1)
            after = masked[end + 1] if end + 1 < len(masked) else ""
            if fen and after and not is_delim(after) and after not in PARTICLES:
                continue  # 十分感谢, 万分抱歉, 百分百: adverbs, not scores
        else:
            # A bare numeral counts only as the whole clause ("五", "就三吧"),
            # because 一/二/三 occur inside countless ordinary words.
            prefix_start = _score_prefix_start(masked, start)
            if prefix_start > 0 and not is_delim(masked[prefix_start - 1]):
                continue
            after_end = end
            while after_end < len(masked) and masked[after_end] in PARTICLES:
                after_end += 1
            if after_end < len(masked) and not is_delim(masked[after_end]):
                continue
        try:
            value = _value_in_range(int(cn2an.cn2an(run, "normal")))
        except (ValueError, KeyError, IndexError, TypeError):
            value = None  # "俩", "千万": not a well-formed number
        suffix = _SCORE_SUFFIX_RE.match(masked, end)
        tokens.append(Token(_score_prefix_start(text, start), suffix.end() if suffix else end, value, core=start))
    return tokens


