"""Deterministic parser for free-text replies to the 1-5 satisfaction question.

The survey asks "回复1-5，5为非常满意" and customers answer however they like:
"5", "五星", "满意", "2 等太久了", "刚才按错了，应该是5", "TD". This module turns
such a reply into a :class:`ParsedReply`. It is pure (no I/O), shared by the
Rasa custom actions and the CLI, and never raises for any string or ``None``.

Pipeline (each step works on the output of :func:`zhtext.normalize.normalize`):

1. Guards: empty, over-long (> ``MAX_INPUT_CHARS``) and markup/SQL-looking input
   are ``unparseable`` straight away.
2. Opt-out phrases (TD, 退订, 别发了, ...) are cut out and remembered.
3. Questions about the scale ("5是满意吗", "回几是满意") → ``question``.
4. Correction markers at the start of a clause ("刚才按错了", "手滑了") →
   ``correction``; the rest of the message is scored for the new value.
5. Scoring: scale words, star emoji, Arabic digits and Chinese numerals are
   collected as tokens; they must agree on one score.

Choices for ambiguous input (the contract leaves these open):

* An explicit number wins over scale words within one point of it
  ("5 满意" → 5, "4 非常满意" → 4); words two or more points away are a
  contradiction ("1 非常满意", "3 很满意" → unparseable).
* Without a number, scale words must all name the same score
  ("满意 好评" → unparseable, the dialogue asks again).
* A scale word preceded by a negation that is not itself a known phrase
  ("不一般", "不给差评", "不是很差") is ambiguous → unparseable.
* Any Arabic 0 is out of range, including "0分"; only the word 零分 means 1.
* A single out-of-range or decimal number anywhere makes the reply
  unparseable ("13812345678 5分" is ambiguous), except numbers that follow an
  identifier word ("订单号 123 5分" → 5), carry a unit of time or quantity
  ("等了3个小时 1" → 1) or are glued to letters or code characters ("5G",
  "alert(1)"): those are ignored.
* N filled stars (⭐, ★, 🌟; 1 ≤ N ≤ 5) mean N, "★★★☆☆" means 3 and "⭐×5"
  means 5; more than five stars are out of range.
* A bare Chinese numeral counts only as a whole clause ("五", "就三吧"), while
  one followed by 分/星 counts anywhere ("服务一般 两分"); 十分/万分/百分百
  followed by more text are adverbs.
* A trailing "?" does not turn a score into a question ("5?" → 5); only the
  scale-question patterns or a reply made of "?" alone do.
* Correction markers count only at the start of a clause, after at most a
  short preamble (刚才, 不好意思, 我 ...): "客服把地址写错了 1分" is a rating.
* ``reason`` for ``rating`` and ``correction``: the normalised text without
  the score token, without clauses made only of scale words or filler
  ("3分 一般吧 等得有点久" → "等得有点久"); a clause that only *contains* a
  scale word is kept ("1，态度太差" → "态度太差").
* ``reason`` for ``unparseable``: the normalised text minus filler-only
  clauses (so a bare complaint is kept); ``None`` for acknowledgements,
  emoji only, over-long input and markup/SQL-looking input.
* ``reason`` for ``optout``: the text left after removing the opt-out phrase;
  for ``question`` always ``None``.
* Declining to take part ("不想评价", "不参与评价") counts as opt-out.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import cn2an

from zhtext.normalize import normalize

__all__ = ["MAX_INPUT_CHARS", "ParsedReply", "parse_reply"]

RATING = "rating"
CORRECTION = "correction"
UNPARSEABLE = "unparseable"
OPTOUT = "optout"
QUESTION = "question"

MAX_INPUT_CHARS = 1000
"""Replies longer than this (raw characters) are ``unparseable`` without further work.

A survey answer that long is a pasted text or spam, and refusing early keeps the
worst case cheap and predictable.
"""


@dataclass(frozen=True)
class ParsedReply:
    """Result of parsing one customer reply.

    Attributes:
        score: 1-5, or ``None`` when the reply carries no usable score.
        kind: ``"rating"``, ``"correction"``, ``"unparseable"``, ``"optout"``
            or ``"question"``.
        reason: Free text left once the score part is removed, or ``None``
            when nothing meaningful is left.
        optout: ``True`` when the customer asked to stop receiving surveys.
    """

    score: int | None
    kind: str
    reason: str | None
    optout: bool


# --------------------------------------------------------------------------
# Character classes and small helpers
# --------------------------------------------------------------------------

# The mask replaces spans already consumed; normalize() drops control
# characters, so it can never occur in real input.
_MASK = "\x00"
_DELIM_CHARS = " ,.!?;:~、。…\u00b7" + _MASK
_DELIM_RE = re.compile(r"([\s,.!?;:~、。…\u00b7\x00]+)")
_EDGE_DELIMS_RE = re.compile(r"^[\s,.!?;:~、。…\u00b7\x00]+|[\s,.!?;:~、。…\u00b7\x00]+$")
_SPACES_RE = re.compile(r"\s+")
_PARTICLES = "吧啊呀哦了的呢嘛哈啦喔哇"
_CODE_CHARS = frozenset("_=<>'\"\\/@#$&|^`(){}[]")
_ASCII_LETTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")

# Keycap sequences (5️⃣) and emoji presentation selectors would otherwise sit
# between a digit or star and its neighbours.
_STRIP_MARKS = {0xFE0F: None, 0xFE0E: None, 0x20E3: None}
# Circled numbers ①-⑳ are offered by Chinese phone keyboards.
_CIRCLED = {cp: str(int(unicodedata.numeric(chr(cp)))) for cp in range(0x2460, 0x2474)}
_PREPARE_TABLE = {**_STRIP_MARKS, **_CIRCLED}


def _meaningful(text: str) -> bool:
    """True when ``text`` has at least one letter or digit (emoji and punctuation do not count)."""
    return any(unicodedata.category(ch)[0] in "LN" for ch in text)


def _is_delim(ch: str) -> bool:
    return ch in _DELIM_CHARS or ch.isspace()


# --------------------------------------------------------------------------
# Guards
# --------------------------------------------------------------------------

# Bounded repetition keeps a text full of "<" from scanning quadratically far.
_MARKUP_RE = re.compile(r"<\s*/?\s*[a-z!?][^<>]{0,200}>|&[a-z]{2,8};|javascript:", re.I)
_SQL_VERB_RE = re.compile(
    r"\b(?:select|insert|update|delete|drop|union|alter|truncate|exec|create)\b", re.I | re.A
)
_SQL_CLAUSE_RE = re.compile(
    r"\b(?:from|into|table|where|set|database|values)\b|--|/\*", re.I | re.A
)


def _looks_like_code(text: str) -> bool:
    if _MARKUP_RE.search(text):
        return True
    return bool(_SQL_VERB_RE.search(text) and _SQL_CLAUSE_RE.search(text))


# --------------------------------------------------------------------------
# Opt-out
# --------------------------------------------------------------------------

# Bare letters are opt-out only as the whole message: "T" inside a sentence
# is far more likely part of a brand name or typo.
_OPTOUT_WHOLE = frozenset({"t", "td", "stop", "unsubscribe", "退"})
_OPTOUT_RE = re.compile(
    r"(?:以后|今后|千万|请你们|请|麻烦|你们|再也)?"
    r"(?:"
    r"退订|取消订阅|退出订阅|取消(?:评价|推送|通知|短信|调查)"
    r"|不(?:想|再|愿意|愿|要)?参与(?:评价|调查|评分|打分)?"
    r"|不(?:想|要|用|需要|再|想再)?(?:评价|评分|打分)了?|不评了"
    r"|(?:别|不要|不用|不需要|请勿|勿|停止|不想)(?:再|继续)?(?:给我)?(?:发|推送|打扰|骚扰)(?:了|啦)?"
    r"(?=了|啦|短信|消息|信息|这|那|调查|问卷|评价|我|$|[\s,.!?。~])"
    r"|拒收|勿扰"
    r"|(?<![a-z])(?:td|stop|unsubscribe)(?![a-z])"
    r")(?:了|啦)?",
    re.I,
)


def _strip_optout(text: str) -> tuple[bool, str]:
    """Remove opt-out phrases; return whether any was found and the rest."""
    core = _EDGE_DELIMS_RE.sub("", text).lower()
    if core in _OPTOUT_WHOLE:
        return True, ""
    rest, count = _OPTOUT_RE.subn(" ", text)
    return count > 0, rest


# --------------------------------------------------------------------------
# Questions about the scale
# --------------------------------------------------------------------------

_Q_SPECIFIC_RE = re.compile(
    # "5是满意吗", "1是最好吗", "5分代表什么"
    r"(?<![0-9.])(?:[1-5]|[一二三四五壹贰叁肆伍])(?![0-9])\s*(?:分|星|颗星)?\s*"
    r"(?:是|就是|代表|表示|算|等于|为|=|最)[^?吗么嘛]{0,10}(?:吗|么|嘛|\?|什么|啥|哪)"
    # "回几是满意", "打几分"
    r"|(?:回复|回|选|按|打|填|发|输|给|评|是)\s*几(?!次|个|遍|天|小时|分钟|年|月|号|点|句|条|张|位|人)"
    r"|几\s*分?\s*(?:是|代表|表示|算|为|最)"
    r"|哪(?:一个|个数字|个|一项|项)\s*(?:是|代表|表示|算|最|为)"
    r"|(?:选|回复|回|按|填)\s*哪(?:一个|个)"
    r"|(?:怎么|怎样|如何)\s*(?:评分|打分|评价|评|回复|回(?!事)|填|选)"
    r"|(?:评分|打分)(?:标准|规则|方法)"
    r"|(?:满意|不满意|最好|最差|最高|最低|满分)\S{0,4}?(?:是|回|选|按|填|对应)\s*"
    r"(?:几|多少|什么|哪|(?:[1-5]|[一二三四五])\s*分?\s*(?:吗|么|嘛|\?))"
    r"|越(?:大|高|小|低|多)越"
)
_Q_GENERIC_RE = re.compile(r"什么意思|啥意思|看不懂|没看懂|怎么弄")
_Q_MARK_RE = re.compile(r"[?吗么呢]")
_SCALE_VOCAB_RE = re.compile(r"满意|评分|打分|分数|几分|评价|数字|星|[1-5]|最好|最差|最高|最低")


def _is_generic_question(text: str) -> bool:
    if not _EDGE_DELIMS_RE.sub("", text) and "?" in text:
        return True
    if _Q_GENERIC_RE.search(text):
        return True
    return bool(_Q_MARK_RE.search(text) and _SCALE_VOCAB_RE.search(text))


# --------------------------------------------------------------------------
# Corrections
# --------------------------------------------------------------------------

_CORRECTION_RE = re.compile(
    r"(?:刚才|刚刚|之前|上一条|前面|上面)(?:的|那个|那条)?(?:不算数?|作废|无效)"
    r"|[回按打发选输点填评敲写弄]错(?:了|啦)?"
    r"|错了|手滑(?:了|啦)?|更正(?:一下)?|纠正(?:一下)?|修改(?:一下)?|改一下|改为|改成"
    r"|重新(?:评分|打分|评价|选择|评|打|选)|重选|撤回",
)
# What may precede a correction marker inside its clause: "我刚才按错了",
# "不好意思 手滑了". Anything else ("客服把地址写错了") is a complaint.
_PREAMBLE_RE = re.compile(
    r"(?:不好意思|抱歉|对不起|sorry|哎呀|哎|唉|啊|呃|额|嗯|那个|我们|我|刚才|刚刚|之前|上面|前面"
    r"|上一条|的|回复|评分|分数|好像|可能|\s)*",
    re.I,
)
_MAX_PREAMBLE = 12


def _find_correction(text: str) -> tuple[int, int] | None:
    """Return the span (clause start, marker end) of a correction marker, if any."""
    for m in _CORRECTION_RE.finditer(text):
        clause_start = m.start()
        while clause_start > 0 and not _is_delim(text[clause_start - 1]):
            clause_start -= 1
            if m.start() - clause_start > _MAX_PREAMBLE:
                break
        prefix = text[clause_start : m.start()]
        if len(prefix) <= _MAX_PREAMBLE and _PREAMBLE_RE.fullmatch(prefix):
            return clause_start, m.end()
    return None


# --------------------------------------------------------------------------
# Scale words
# --------------------------------------------------------------------------

_STRONG = ("非常", "很", "十分", "特别", "超级", "超", "相当", "极其", "极", "太", "真的很",
           "真的非常", "非常非常", "百分百", "百分之百", "万分", "好", "最")
_MILD = ("比较", "挺", "蛮", "还算", "还挺", "还比较", "算是", "基本", "基本上", "还", "较为", "较")
_SOFT_NEG = ("不太", "不是很", "不是太", "不怎么", "不大", "不够", "不是特别", "不是非常",
             "不是十分", "不算", "不算太", "不算很", "有点不", "有些不", "有点儿不", "比较不",
             "不很", "不是那么", "没那么", "没有那么", "不那么")


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
    for w in ("一般般", "一般", "还行", "凑合", "凑活", "普通", "还可以", "马马虎虎", "中规中矩"):
        words[w] = 3
    for w in ("很差", "太差", "非常差", "特别差", "超级差", "超差", "极差", "好差", "真差", "十分差",
              "最差", "差劲", "很差劲", "太差劲", "非常差劲", "差评", "零分", "负分"):
        words[w] = 1
    return words


_SCALE_WORDS = _build_scale_words()
# Words that are scale words only when not part of a longer unrelated word.
_WORD_LOOKAHEAD = {"满意": "(?!度)", "普通": "(?!话)", "好评": "(?!率)"}
# Longest first so "非常不满意" wins over "不满意" and "满意" at the same position.
_SCALE_RE = re.compile(
    "|".join(
        re.escape(w) + _WORD_LOOKAHEAD.get(w, "")
        for w in sorted(_SCALE_WORDS, key=len, reverse=True)
    )
)
_NEGATED_RE = re.compile(r"(?:不|没|没有|不是|不算|别|并不|并非)(?:给|打|是|算|要|会|会给|太|很)?$")

# Stars: a run of filled stars (optionally padded with empty ones), or one
# star times a count ("⭐x5").
_STAR_RE = re.compile(r"(?:[⭐★🌟] ?)+(?:☆ ?)*(?:[x×*] ?([0-9]{1,3}))?")


# --------------------------------------------------------------------------
# Numbers
# --------------------------------------------------------------------------

_ARABIC_RE = re.compile(r"[0-9]+(?:\.[0-9]+)?")
_CN_RUN_RE = re.compile(r"[零〇一二两三四五六七八九十百千万壹贰叁肆伍陆柒捌玖拾佰仟]+")

# A number followed by one of these measures time, quantity or money.
_UNIT_AFTER_RE = re.compile(
    r"\s?(?:分(?:钟|多|半|之|钱|期|机|店|行|析|别|配|开|类|享|手|明|布|散|成|红|担|解|裂|工|段|组"
    r"|[零〇一二两三四五六七八九十])"
    r"|个(?!星)|多(?!谢)|小时|钟头|钟|时|天|日|号|月|年|周|星期|礼拜|秒|次|遍|趟|块|元|毛|角|岁"
    r"|楼|层|点(?!赞)|倍|折|%|位|人|件|条|台|部|米|公里|斤|公斤|克|万|千|百|十|来|余|几|句|名)"
)
# A number after these is an identifier or ordinal, not an answer.
_ID_BEFORE_RE = re.compile(
    r"(?:工号|编号|号码|单号|订单|验证码|校验码|尾号|手机号|账号|卡号|密码|房间|第|周|星期|礼拜"
    r"|id|no)[\s:#]*$",
    re.I,
)
# Verbs and fillers that introduce a score: "我给5分", "打个4分", "应该是5".
_SCORE_PREFIX_RE = re.compile(
    r"(?:(?:我|那就|那|就给|就|给个|给|打个|打|选|回复|回|评分为|评分|评|应该是|是|为|改为|改成|算|分数)\s*)+$"
)
_SCORE_SUFFIX_RE = re.compile(
    r"\s?(?:分(?!钟)|颗星|个星|颗⭐|星(?!期)|[⭐★🌟])?[" + _PARTICLES + r"]*"
)
_CN_UNIT_RE = re.compile(r"分|颗星|个星|星(?!期)|[⭐★🌟]")
_ADVERB_FEN_RE = re.compile(r"[十万百]分")


@dataclass
class _Token:
    start: int
    end: int
    value: int | None  # None: a number in score position that is not 1-5
    negated: bool = False


def _score_prefix_start(text: str, start: int) -> int:
    """Extend a token's start over the verbs that introduce it ("我给5分" → "我给")."""
    window_start = max(0, start - 10)
    m = _SCORE_PREFIX_RE.search(text[window_start:start])
    return window_start + m.start() if m else start


def _value_in_range(value: int | None) -> int | None:
    return value if value is not None and 1 <= value <= 5 else None


def _scan_words(text: str, masked: list[str]) -> list[_Token]:
    tokens = []
    for m in _SCALE_RE.finditer(text):
        before = text[max(0, m.start() - 4) : m.start()]
        tokens.append(
            _Token(m.start(), m.end(), _SCALE_WORDS[m.group(0)],
                   negated=bool(_NEGATED_RE.search(before)))
        )
        masked[m.start() : m.end()] = _MASK * (m.end() - m.start())
    return tokens


def _scan_stars(text: str, masked: list[str]) -> list[_Token]:
    tokens = []
    for m in _STAR_RE.finditer(text):
        run = m.group(0)
        filled = sum(run.count(c) for c in "⭐★🌟")
        prev = text[m.start() - 1] if m.start() else ""
        if filled == 1 and m.group(1) is None and (prev.isdigit() or _CN_RUN_RE.match(prev)):
            # "5⭐" / "五⭐": the star is the unit of the number before it.
            continue
        value = int(m.group(1)) if m.group(1) and filled == 1 else filled
        tokens.append(_Token(m.start(), m.end(), _value_in_range(value)))
        masked[m.start() : m.end()] = _MASK * (m.end() - m.start())
    return tokens


def _scan_arabic(text: str, masked: str) -> list[_Token]:
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
        tokens.append(_Token(_score_prefix_start(text, start), suffix.end() if suffix else end, value))
    return tokens


def _scan_chinese(text: str, masked: str) -> list[_Token]:
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
            if fen and after and not _is_delim(after) and after not in _PARTICLES:
                continue  # 十分感谢, 万分抱歉, 百分百: adverbs, not scores
        else:
            # A bare numeral counts only as the whole clause ("五", "就三吧"),
            # because 一/二/三 occur inside countless ordinary words.
            prefix_start = _score_prefix_start(masked, start)
            if prefix_start > 0 and not _is_delim(masked[prefix_start - 1]):
                continue
            after_end = end
            while after_end < len(masked) and masked[after_end] in _PARTICLES:
                after_end += 1
            if after_end < len(masked) and not _is_delim(masked[after_end]):
                continue
        try:
            value = _value_in_range(int(cn2an.cn2an(run, "normal")))
        except (ValueError, KeyError, IndexError, TypeError):
            value = None  # "俩", "千万": not a well-formed number
        suffix = _SCORE_SUFFIX_RE.match(masked, end)
        tokens.append(_Token(_score_prefix_start(text, start), suffix.end() if suffix else end, value))
    return tokens


# --------------------------------------------------------------------------
# Reason extraction
# --------------------------------------------------------------------------

# Whole clauses made of these carry no feedback. Matched possessively against
# the entire clause, so "好评" is not mistaken for "好" + "评".
_FILLER_RE = re.compile(
    r"(?:不好意思|对不起|抱歉|sorry|谢谢你们|谢谢你|谢谢啦|谢谢了|谢谢|感谢|多谢|好的|好吧|好嘞|好哒"
    r"|没问题|知道了|明白|收到|okay|ok|那就|应该是|给个|打个|回复|评分|打分|分数|我觉得|觉得|感觉|以后|今后|麻烦|你们|可以"
    r"|[嗯哦噢哈好行就我是为那请给" + _PARTICLES + r"])*+",
    re.I,
)


def _clean_reason(text: str, drop_scale_words: bool) -> str | None:
    """Drop clauses made only of filler (and, optionally, scale words); tidy the edges."""
    parts = _DELIM_RE.split(text)
    kept = []
    for i in range(0, len(parts), 2):
        segment = parts[i]
        delim = parts[i + 1] if i + 1 < len(parts) else ""
        probe = _SCALE_RE.sub("", segment) if drop_scale_words else segment
        # Emoji and symbols alone are not a reason, but they do not hide one either.
        probe = "".join(ch for ch in probe if unicodedata.category(ch)[0] in "LN")
        if probe and not _FILLER_RE.fullmatch(probe):
            kept.append(segment + delim)
    reason = _EDGE_DELIMS_RE.sub("", "".join(kept))
    reason = _SPACES_RE.sub(" ", reason.replace(_MASK, " "))
    return reason or None


# --------------------------------------------------------------------------
# Scoring
# --------------------------------------------------------------------------

@dataclass
class _Scored:
    score: int | None
    status: str  # "ok", "none" (no score at all), "invalid" or "conflict"
    reason: str | None


def _score(text: str) -> _Scored:
    masked_chars = list(text)
    words = _scan_words(text, masked_chars)
    stars = _scan_stars(text, masked_chars)
    masked = "".join(masked_chars)
    numbers = stars + _scan_arabic(text, masked) + _scan_chinese(text, masked)

    if not words and not numbers:
        return _Scored(None, "none", None)
    if any(t.value is None for t in numbers) or any(t.negated for t in words):
        return _Scored(None, "invalid", None)
    number_values = {t.value for t in numbers if t.value is not None}
    word_values = {t.value for t in words if t.value is not None}
    if len(number_values) > 1:
        return _Scored(None, "conflict", None)
    if number_values:
        score = next(iter(number_values))
        # Words one point away are agreement in spirit ("5 满意"); farther is a contradiction.
        if any(abs(score - w) >= 2 for w in word_values):
            return _Scored(None, "conflict", None)
    elif len(word_values) > 1:
        return _Scored(None, "conflict", None)
    else:
        score = next(iter(word_values))

    chars = list(text)
    for t in numbers:
        chars[t.start : t.end] = [_MASK] * (t.end - t.start)
    reason = _clean_reason("".join(chars), drop_scale_words=True)
    return _Scored(score, "ok", reason)


# --------------------------------------------------------------------------
# Public entry point
# --------------------------------------------------------------------------

_UNPARSEABLE_EMPTY = ParsedReply(score=None, kind=UNPARSEABLE, reason=None, optout=False)


def _parse_core(text: str) -> ParsedReply:
    """Parse a normalised reply that has no opt-out phrase left in it."""
    if _Q_SPECIFIC_RE.search(text):
        return ParsedReply(score=None, kind=QUESTION, reason=None, optout=False)

    correction = _find_correction(text)
    if correction is not None:
        start, end = correction
        rest = text[:start] + " " + text[end:]
        scored = _score(rest)
        if scored.status == "ok":
            return ParsedReply(score=scored.score, kind=CORRECTION, reason=scored.reason, optout=False)
        reason = _clean_reason(rest, drop_scale_words=False) if scored.status == "none" else None
        return ParsedReply(score=None, kind=CORRECTION, reason=reason, optout=False)

    scored = _score(text)
    if scored.status == "ok":
        return ParsedReply(score=scored.score, kind=RATING, reason=scored.reason, optout=False)
    if scored.status == "none" and _is_generic_question(text):
        return ParsedReply(score=None, kind=QUESTION, reason=None, optout=False)
    return ParsedReply(
        score=None, kind=UNPARSEABLE, reason=_clean_reason(text, drop_scale_words=False), optout=False
    )


def parse_reply(text: str | None) -> ParsedReply:
    """Parse a customer's free-text answer to the 1-5 satisfaction question.

    Args:
        text: The raw message. ``None`` and non-strings are accepted and yield
            an ``unparseable`` result.

    Returns:
        The parsed reply. ``score`` is set only for ``rating`` and, when the
        customer named the new value, ``correction``. ``optout`` is also set
        on a ``rating`` that comes with an opt-out ("5 别再发了").

    Examples:
        >>> parse_reply("2 等太久了")
        ParsedReply(score=2, kind='rating', reason='等太久了', optout=False)
        >>> parse_reply("刚才按错了").kind
        'correction'
    """
    if not isinstance(text, str) or len(text) > MAX_INPUT_CHARS:
        return _UNPARSEABLE_EMPTY
    normalized = normalize(text).translate(_PREPARE_TABLE).strip()
    if not normalized:
        return _UNPARSEABLE_EMPTY
    if _looks_like_code(normalized):
        # Markup or SQL is never an answer, and echoing it as a reason would
        # only carry it further downstream.
        return _UNPARSEABLE_EMPTY

    optout, rest = _strip_optout(normalized)
    if not optout:
        return _parse_core(normalized)

    inner = _parse_core(rest) if _meaningful(rest) or _STAR_RE.search(rest) or "💯" in rest else None
    if inner is not None and inner.kind in (RATING, CORRECTION) and inner.score is not None:
        return ParsedReply(score=inner.score, kind=inner.kind, reason=inner.reason, optout=True)
    return ParsedReply(score=None, kind=OPTOUT, reason=_clean_reason(rest, drop_scale_words=True), optout=True)
