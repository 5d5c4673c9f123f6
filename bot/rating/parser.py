"""Deterministic parser for free-text replies to the 1-5 satisfaction question.

The survey asks "回复1-5，5为非常满意" and customers answer however they like:
"5", "五星", "满意", "2 等太久了", "刚才按错了，应该是5", "TD". This module turns
such a reply into a :class:`ParsedReply`. It is pure (no I/O), shared by the
Rasa custom actions and the CLI, and never raises for any string or ``None``.

Pipeline (each step works on the output of :func:`zhtext.normalize.normalize`):

1. Guards: empty, over-long (> ``MAX_INPUT_CHARS``) and markup/SQL-looking input
   are ``unparseable`` straight away.
2. Cantonese negation and English scale wording are rewritten into the
   Mandarin scale vocabulary (``bot.rating.dialect``), so one set of rules scores all.
3. Opt-out phrases (TD, 退订, 别发了, ...) are cut out and remembered.
4. Questions about the scale ("5是满意吗", "回几是满意") → ``question``, topic ``scale``.
5. Correction markers at the start of a clause ("刚才按错了", "手滑了") →
   ``correction``; the rest of the message is scored for the new value.
6. Scoring (``bot.rating.tokens``): scale words, star emoji, Arabic digits and
   Chinese numerals are collected as tokens; they must agree on one score.
7. A reply with no score that asks about something else → ``question`` with a
   topic (``bot.rating.questions``): ``genuine`` ("这短信是真的吗"), ``human``
   ("是人工在回吗"), ``followup`` ("我的退款什么时候到账") or ``language``
   ("do you speak English"). A score with such a question is a rating.

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
* Two different scores joined by 或/或者/到/至/还是/~ ("3分或4分", "4到5分",
  "三分还是四分") are two candidates, not a score and a contradiction →
  ``unparseable``; the same score said twice ("5 5") is that score.
* A self-correction inside one message → the final score, kind ``correction``:
  a number taken back ("不是2，是4", "按成1了 应该是5") or replaced after
  算了/不对/哦不/说错了/应该是 ("先给3 算了还是5吧", "2，不对，3").
* A leading score followed by a reason that contains other numbers keeps the
  leading score ("给3分 少算了我两天", "2分 办了2张卡只到了1张"); the numbers
  stay in the reason. A number-only second clause ("4 5") is still a conflict.
* English follows the same points: number words as a whole clause or with a
  unit ("four", "3 stars", "4/5", "4 out of 5"); excellent/great/perfect = 5,
  good/satisfied = 4, average/so-so/fair = 3, poor/bad/not satisfied = 2,
  terrible/awful/very poor = 1; "not bad" is read like 不错 (no score).
* Cantonese: 唔 negates like 不 and 冇 like 没 (唔满意 = 2, 唔係好滿意 = 2,
  好唔满意 = 1, so a negated 满意 is never satisfied); 几满意 = 4; 麻麻/麻麻哋 = 3;
  冇问题 and 唔该 are acknowledgements (no score).
* A 差 word rates the service only when its clause is about the service or
  names no subject ("太差了", "客服态度很差" → 1); about something else ("app
  很差", "信号太差", "包装质量很差") it invents no score → ``unparseable`` with
  the text as reason (the dialogue keeps it for a low score that follows).
* ``topic`` is set for questions only; ``inferred`` is True when the score
  comes from words alone ("满意", "excellent"), not from a digit, numeral,
  stars or a word naming the point (满分, 五星).
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field, replace
from functools import lru_cache

from bot.rating.dialect import to_scale_vocabulary
from bot.rating.questions import is_generic_question, is_scale_question, question_topic
from bot.rating.tokens import (
    DELIM_RE,
    EDGE_DELIMS_RE,
    MASK,
    PARTICLES,
    PREPARE_TABLE,
    SCALE_RE,
    SPACES_RE,
    STAR_RE,
    Token,
    is_delim,
    meaningful,
    scan_arabic,
    scan_chinese,
    scan_stars,
    scan_words,
)
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
        topic: For ``question``: ``"scale"``, ``"genuine"`` (is this message
            really from the company), ``"human"`` (is a person answering),
            ``"followup"`` (a request about the customer's case) or
            ``"language"``; ``None`` otherwise.
        inferred: ``True`` when the score comes from words alone, without a
            digit, numeral or stars ("满意", "excellent"): the dialogue echoes
            it with an offer to correct.
    """

    score: int | None
    kind: str
    reason: str | None
    optout: bool
    topic: str | None = field(default=None, compare=False)
    inferred: bool = field(default=False, compare=False)

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
    core = EDGE_DELIMS_RE.sub("", text).lower()
    if core in _OPTOUT_WHOLE:
        return True, ""
    rest, count = _OPTOUT_RE.subn(" ", text)
    return count > 0, rest


# --------------------------------------------------------------------------
# Corrections
# --------------------------------------------------------------------------

_CORRECTION_RE = re.compile(
    r"(?:刚才|刚刚|刚|之前|上一条|前面|上面)(?:说|发|回|打|选|给)?(?:的|那个|那条)?(?:不算数?|作废|无效)"
    r"|[回按打发选输点填评敲写弄]错(?:了|啦)?"
    r"|错了|手滑(?:了|啦)?|更正(?:一下)?|纠正(?:一下)?|修改(?:一下)?|改一下|改为|改成"
    r"|重新(?:评分|打分|评价|选择|评|打|选)|重选|撤回",
)
# What may precede a correction marker inside its clause: "我刚才按错了",
# "不好意思 手滑了". Anything else ("客服把地址写错了") is a complaint.
_PREAMBLE_RE = re.compile(
    r"(?:不好意思|抱歉|对不起|sorry|哎呀|哎|唉|啊|呃|额|嗯|那个|我们|我|刚才|刚刚|之前|上面|前面"
    r"|上一条|的|回复|评分|分数|好像|可能|想|要|\s)*",
    re.I,
)
_MAX_PREAMBLE = 12


def _find_correction(text: str) -> tuple[int, int] | None:
    """Return the span (clause start, marker end) of a correction marker, if any."""
    for m in _CORRECTION_RE.finditer(text):
        clause_start = m.start()
        while clause_start > 0 and not is_delim(text[clause_start - 1]):
            clause_start -= 1
            if m.start() - clause_start > _MAX_PREAMBLE:
                break
        prefix = text[clause_start : m.start()]
        if len(prefix) <= _MAX_PREAMBLE and _PREAMBLE_RE.fullmatch(prefix):
            return clause_start, m.end()
    return None


# --------------------------------------------------------------------------
# Reason extraction
# --------------------------------------------------------------------------

# Whole clauses made of these carry no feedback. Matched possessively against
# the entire clause, so "好评" is not mistaken for "好" + "评".
_FILLER_RE = re.compile(
    r"(?:不好意思|对不起|抱歉|sorry|谢谢你们|谢谢你|谢谢啦|谢谢了|谢谢|感谢|多谢|好的|好吧|好嘞|好哒|不对|算了|哦不|不不"
    r"|没问题|知道了|明白|收到|okay|ok|那就|应该是|给个|打个|回复|评分|打分|分数|我觉得|觉得|感觉|以后|今后|麻烦|你们|可以"
    r"|撤回|撤销|收回|作废|不算数?|重新|刚才|刚刚|之前|说的"
    r"|[嗯哦噢哈好行就我是为那请给" + PARTICLES + r"])*+",
    re.I,
)


def _clean_reason(text: str, drop_scale_words: bool) -> str | None:
    """Drop clauses made only of filler (and, optionally, scale words); tidy the edges."""
    parts = DELIM_RE.split(text)
    kept = []
    for i in range(0, len(parts), 2):
        segment = parts[i]
        delim = parts[i + 1] if i + 1 < len(parts) else ""
        probe = SCALE_RE.sub("", segment) if drop_scale_words else segment
        # Emoji and symbols alone are not a reason, but they do not hide one either.
        probe = "".join(ch for ch in probe if unicodedata.category(ch)[0] in "LN")
        if probe and not _FILLER_RE.fullmatch(probe):
            kept.append(segment + delim)
    reason = EDGE_DELIMS_RE.sub("", "".join(kept))
    reason = SPACES_RE.sub(" ", reason.replace(MASK, " "))
    return reason or None


# --------------------------------------------------------------------------
# Scoring
# --------------------------------------------------------------------------

@dataclass
class _Scored:
    score: int | None
    status: str  # "ok", "none" (no score at all), "invalid" or "conflict"
    reason: str | None
    corrected: bool = False  # the message corrects itself ("先给3 算了还是5吧")
    inferred: bool = False  # the score comes from words only


# Before a number: it is the one the customer takes back ("不是2", "按成1了").
_TAKEN_BACK_RE = re.compile(
    r"(?:(?:不是|并不是|不给|不打|按成|打成|点成|选成|写成|看成|误按)\s*(?:给|打|选|按)?"
    # A score withdrawn before it is named: "撤回刚才的3分，给5分".
    r"|(?:撤回|撤销|收回)了?\s*(?:我)?(?:刚才|刚刚|之前|前面|上面)?(?:说|给|打|选|回|发)?(?:的|那个)?)\s*$")
# Between two numbers: the second replaces the first ("3 算了还是5", "2，不对，3", "4分 哦不 5分").
_CORRECTING_GAP_RE = re.compile(
    r"算了|不对|不不|[哦噢啊呃额]\s*不|(?:^|[\s,])不(?=[\s,]|$)|no\b|[说打按回写点]错|错了"
    r"|应该是|其实是|改成|改为|更正|纠正"
    # A score withdrawn after it is named: "3分撤回，给5分", "2分不算，重新给4分".
    r"|撤回|撤销|收回|作废|不算数?|无效", re.I)
# Between two numbers: two candidate scores ("3分或4分", "4到5分", "3还是4", "4~5").
_ALTERNATIVE_GAP_RE = re.compile(r"^[\s,、]*(?:或者?|或是|到|至|还是|要么|[~\-/])")


_CONNECTIVES_RE = re.compile(r"或者?|或是|到|至|还是|要么|分|星")


def _in_a_sentence(masked: str, token: Token) -> bool:
    """True when the clause around ``token`` has other words: the number is part of a reason."""
    start, end = token.start, token.end
    while start > 0 and not is_delim(masked[start - 1]):
        start -= 1
    while end < len(masked) and not is_delim(masked[end]):
        end += 1
    rest = _CONNECTIVES_RE.sub("", masked[start : token.start] + " " + masked[token.end : end])
    return any(unicodedata.category(ch)[0] == "L" and ch not in PARTICLES for ch in rest)


def _resolve_numbers(masked: str, numbers: list[Token]) -> tuple[list[Token], list[Token], bool] | None:
    """Decide which number tokens state the score.

    Returns ``(stated, consumed, corrected)``: the tokens that state the score,
    the tokens to remove from the reason, and whether the message corrected
    itself; or None when the numbers are two candidate scores.
    """
    numbers = sorted(numbers, key=lambda t: t.start)
    taken_back = [t for t in numbers if _TAKEN_BACK_RE.search(masked[max(0, t.core - 6) : t.core])]
    kept = [t for t in numbers if t not in taken_back]
    corrected = bool(taken_back) and bool(kept)
    stated = kept[:1]
    for token in kept[1:]:
        gap = masked[stated[-1].end : token.core]  # includes the second number's "应该是", "还是"
        if _CORRECTING_GAP_RE.search(gap):
            stated, corrected = [token], True
        elif _ALTERNATIVE_GAP_RE.search(gap) and token.value != stated[-1].value:
            return None
        elif token.value == stated[-1].value and not _in_a_sentence(masked, token):
            stated.append(token)  # "5 5", "5分5分": said twice
        elif (_FILLER_RE.fullmatch(_letters(masked[: numbers[0].start]))
              and _in_a_sentence(masked, token)):
            break  # "给3分 少算了我两天", "2分 办了2张卡": the leading score stays, the rest is the reason
        else:
            return None
    reason_numbers = kept[kept.index(stated[-1]) + 1 :] if stated else []
    consumed = [t for t in numbers if t not in reason_numbers]
    return stated, consumed, corrected


def _letters(text: str) -> str:
    return "".join(ch for ch in text if unicodedata.category(ch)[0] in "LN")


def _score(text: str) -> _Scored:
    masked_chars = list(text)
    words = scan_words(text, masked_chars)
    stars = scan_stars(text, masked_chars)
    masked = "".join(masked_chars)
    numbers = stars + scan_arabic(text, masked) + scan_chinese(text, masked)

    if not words and not numbers:
        return _Scored(None, "none", None)
    resolved = _resolve_numbers(masked, numbers) if numbers else ([], [], False)
    if resolved is None:
        return _Scored(None, "conflict", None)
    stated, consumed, corrected = resolved
    if (numbers and not stated) or any(t.value is None for t in stated) or any(t.negated for t in words):
        return _Scored(None, "invalid", None)
    word_values = {t.value for t in words if t.value is not None}
    if stated:
        score = stated[-1].value
        assert score is not None
        # Words one point away are agreement in spirit ("5 满意"); farther is a contradiction.
        if any(abs(score - w) >= 2 for w in word_values):
            return _Scored(None, "conflict", None)
    elif len(word_values) > 1:
        return _Scored(None, "conflict", None)
    else:
        score = next(iter(word_values))

    chars = list(text)
    for t in consumed:
        chars[t.start : t.end] = [MASK] * (t.end - t.start)
    reason = _clean_reason("".join(chars), drop_scale_words=True)
    inferred = not stated and not any(t.explicit for t in words)
    return _Scored(score, "ok", reason, corrected=corrected, inferred=inferred)


# --------------------------------------------------------------------------
# Public entry point
# --------------------------------------------------------------------------

_UNPARSEABLE_EMPTY = ParsedReply(score=None, kind=UNPARSEABLE, reason=None, optout=False)


def _question(topic: str) -> ParsedReply:
    return ParsedReply(score=None, kind=QUESTION, reason=None, optout=False, topic=topic)


def _parse_core(text: str) -> ParsedReply:
    """Parse a normalised reply that has no opt-out phrase left in it."""
    if is_scale_question(text):
        return _question("scale")

    correction = _find_correction(text)
    if correction is not None:
        start, end = correction
        rest = text[:start] + " " + text[end:]
        scored = _score(rest)
        if scored.status == "conflict":
            # Two numbers once the marker is gone: the marker named which one is withdrawn ("撤回3分，给5分").
            scored = _score(text)
        if scored.status == "ok":
            return ParsedReply(score=scored.score, kind=CORRECTION, reason=scored.reason, optout=False,
                               inferred=scored.inferred)
        reason = _clean_reason(rest, drop_scale_words=False) if scored.status == "none" else None
        return ParsedReply(score=None, kind=CORRECTION, reason=reason, optout=False)

    scored = _score(text)
    if scored.status == "ok":
        return ParsedReply(score=scored.score, kind=CORRECTION if scored.corrected else RATING,
                           reason=scored.reason, optout=False, inferred=scored.inferred)
    if scored.status == "none":
        topic = question_topic(text)
        if topic is not None:
            return _question(topic)
        if is_generic_question(text):
            return _question("scale")
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
    return _parse_text(text)


# A turn (and the import, which looks ahead at what it will classify) parses the same text more than once;
# the result is immutable and depends on the text alone.
@lru_cache(maxsize=16_384)
def _parse_text(text: str) -> ParsedReply:
    normalized = to_scale_vocabulary(normalize(text).translate(PREPARE_TABLE)).strip()
    if not normalized:
        return _UNPARSEABLE_EMPTY
    if _looks_like_code(normalized):
        # Markup or SQL is never an answer, and echoing it as a reason would
        # only carry it further downstream.
        return _UNPARSEABLE_EMPTY

    optout, rest = _strip_optout(normalized)
    if not optout:
        return _parse_core(normalized)

    inner = _parse_core(rest) if meaningful(rest) or STAR_RE.search(rest) or "💯" in rest else None
    if inner is not None and inner.kind in (RATING, CORRECTION) and inner.score is not None:
        return replace(inner, optout=True)
    return ParsedReply(score=None, kind=OPTOUT, reason=_clean_reason(rest, drop_scale_words=True), optout=True)

