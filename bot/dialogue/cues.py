"""Recognisers for things the rating parser does not decide: complaint intent and cause choices."""
from __future__ import annotations

import re

from bot.domain import CAUSE_CHOICES, choice_by_title
from zhtext.normalize import normalize

# Escalation wording; kept narrow on purpose (a false flag costs a supervisor's time).
_COMPLAINT = re.compile(
    r"投诉|举报|12315|12345|工信部|消协|消费者协会|银保监|金融监管|曝光|起诉|告你们|"
    r"(找|叫|让|要)(你们)?(的)?(领导|经理|主管|负责人|上级)"
)

_CHOICE_WORDS = [
    ("staff", re.compile(r"客服|人员|服务人员|接线|工作人员|态度|坐席|人工")),
    ("policy", re.compile(r"公司|业务|规定|政策|制度|资费|价格|套餐|产品")),
    ("network_system", re.compile(r"网络|系统|信号|宽带|排队|等待|app|APP|网站")),
    ("other", re.compile(r"其他|其它|别的|都不是|不知道|说不清")),
]
_OPTION_NUMBER = re.compile(r"^\s*([1-4])\s*$")


def is_complaint(text: str, intent: str | None = None, confidence: float = 0.0) -> bool:
    """True when the customer asks to complain or escalate."""
    if _COMPLAINT.search(normalize(text)):
        return True
    return intent == "complain" and confidence >= 0.85


def cause_choice(text: str) -> str | None:
    """Map a reply to the cause-choice question to ``staff``/``policy``/``network_system``/``other``.

    Accepts the button titles, the option's position (1–4) and the key words
    of each option. Returns None when the reply names no option or several.
    """
    t = normalize(text)
    if not t:
        return None
    titled = choice_by_title(t)
    if titled is not None:
        return titled.key
    m = _OPTION_NUMBER.match(t)
    if m:
        return CAUSE_CHOICES[int(m.group(1)) - 1].key
    hits = {name for name, rx in _CHOICE_WORDS if rx.search(t)}
    return hits.pop() if len(hits) == 1 else None


_LEADING_DIGIT = re.compile(r"^\s*([1-5])(?![\d.]|\s*(?:分钟|分半|个|小时|天|号|[GgKkMm]|次|年|月|元|块|点|楼|岁|[-~到至或]))(?:\s*分)?\s*[,，。.、!！ ]?\s*(.*)$", re.S)


def contradicted_score(text: str) -> tuple[int, str] | None:
    """A leading 1–5 followed by words that mean another score ("5 态度太差了", "1 非常满意").

    The parser refuses such replies; the dialogue asks which score was meant
    rather than failing the attempt, since this is the classic scale-direction
    confusion. Returns the digit and the remaining text, or None.
    """
    from bot.rating import parse_reply

    m = _LEADING_DIGIT.match(normalize(text))
    if not m or not m.group(2).strip():
        return None
    digit, rest = int(m.group(1)), m.group(2).strip()
    words = parse_reply(rest)
    if words.score is None or words.score == digit or words.kind != "rating":
        return None
    return digit, rest
