"""Recognisers for things the rating parser does not decide: complaints, threats, cause choices.

* :func:`is_complaint` — the customer asks to complain or escalate. It needs
  complaint *words*; a number never is one, so an order, card or phone number
  that merely contains 12315 or 12345 files nothing.
* :func:`strip_threat` — a reason without the threat wording ("…，再不处理我就去
  银保监投诉"), so the cause is classified from what went wrong.
* :func:`cause_choice` — a typed or tapped answer to the cause-choice question,
  in the customer's own words (also Traditional and Taiwan/Hong Kong wording).
* :func:`contradicted_score` — a leading digit that words contradict.
"""
from __future__ import annotations

import re

from bot.domain import CAUSE_CHOICES, choice_by_title
from zhtext.normalize import normalize

# 12315 (consumer association) and 12345 (government hotline) count only as a
# number of their own that the customer calls or files with ("打12315",
# "12345热线"), never inside a longer digit run.
_HOTLINE = r"(?<![0-9])(?:12315|12345)(?![0-9])"
_ESCALATION = (
    # Threats of consequences, unambiguous ones only ("你们等着" may mean "hold on",
    # "没人给个说法" is a reason, not a threat).
    r"等着瞧|走着瞧|(?:不会|绝不|决不)(?:轻易)?放过你们|讨个说法"
    r"|投诉|举报|工信部|消协|消费者协会|银保监|金融监管|市场监管|监管局|监管部门|曝光|起诉|告你们|打官司|找媒体|找记者"
    r"|(?:找|叫|让|要)(?:你们)?(?:的)?(?:领导|经理|主管|负责人|上级)"
    rf"|(?:打|拨|找|去|上|报|向|到|联系|给)\s*(?:个|一下)?\s*{_HOTLINE}|{_HOTLINE}\s*(?:投诉|举报|热线|那里|那边|反映)"
)
_COMPLAINT = re.compile(_ESCALATION)

# Threat wording inside a reason: from a lead-in ("再不…我就", "不然", "我要") up to the end of its clause.
_THREAT_LEAD = re.compile(
    r"(?:再不|如果再|要是再|不然|否则|要不然|要不|我(?:就|要|会|得|一定|肯定|马上|直接|只能)|我去|必须)"
)
_DELIMS = re.compile(r"[,，.。!！?？;；~～\s]+")
_TAIL_FILLER = re.compile(r"^(?:你们|他们|她|他|一下|了|的|去|吧|啊)+")


def is_complaint(text: str) -> bool:
    """True when the customer asks to complain or escalate, in so many words.

    Anger alone is not a complaint request, and a bare number never is. Only
    the words count: Rasa's intent used to count as well, changed no flag on
    any data we hold (docs/performance.md) and is no longer computed.
    """
    return bool(_COMPLAINT.search(normalize(text or "")))


def _clause_bounds(text: str, pos: int) -> tuple[int, int]:
    start = max((m.end() for m in _DELIMS.finditer(text, 0, pos)), default=0)
    end_match = _DELIMS.search(text, pos)
    return start, end_match.start() if end_match else len(text)


def strip_threat(text: str) -> str:
    """The reason without its threat to complain or go to a regulator.

    "理赔拖了两个月，再不处理我就去银保监投诉" → "理赔拖了两个月"; when the
    complaint words come first and the grievance after them ("我要投诉那个客服态度太差"),
    the grievance is kept. Returns "" when nothing but the threat was said, and
    the text as it was (stripped) when it holds no threat.
    """
    t = normalize(text or "")
    if not _COMPLAINT.search(t):
        return (text or "").strip()
    while (m := _COMPLAINT.search(t)) is not None:
        c_start, c_end = _clause_bounds(t, m.start())
        lead = None
        for lm in _THREAT_LEAD.finditer(t, c_start, m.start()):
            lead = lm
            break
        cut = lead.start() if lead else m.start()
        before = t[c_start:cut]
        tail = _TAIL_FILLER.sub("", t[m.end() : c_end])
        keep = before if len(re.sub(r"\W", "", before)) >= 2 else tail
        t = t[:c_start] + keep + t[c_end:]
    return _DELIMS.sub(" ", t).strip(" ")


# --- the cause-choice question ------------------------------------------------

_CHOICE_WORDS = [
    ("staff", re.compile(
        r"客服|人员|服务人员|接线|接电话|接听|工作人员|态度|坐席|人工|业务员|专员|柜员|员工|小姑娘|姑娘|小姐|小伙|小哥"
        r"|美女|帅哥|那个人|那位|他的|她的|他的问题|她的问题|服务员")),
    ("policy", re.compile(
        r"公司|业务|规定|政策|制度|资费|价格|套餐|产品|规则|收费|扣费|费用|合同|条款|太贵|流程|手续|要求")),
    ("network_system", re.compile(
        r"网络|系统|信号|宽带|排队|等待|等太久|app|网站|网速|断网|掉线|没网|故障|软件|程序|技术|机器|线路|卡顿",
        re.I)),
    ("other", re.compile(r"其他|其它|别的|另外|都不是|都没有|都不|不知道|说不清|说不上|说不好|不清楚|没什么|无所谓"
                         r"|我自己|自己的原因|个人原因|跟你们没关系")),
]
_OPTION_NUMBER = re.compile(r"^\s*(?:第|选|选项)?\s*([1-4])\s*(?:个|项|号)?\s*[.、)]?\s*$")
_NUMBERED_TITLE = re.compile(r"^\s*([1-4])\s*[.、)]?\s*(\S.*)$")
_NONE_OF_THEM = re.compile(r"都不是|都没有|都不对|说不清|说不上来|说不好|不知道")
# "不是客服的问题，是系统的问题": only the option after the denial counts.
_DENIED_THEN_NAMED = re.compile(r"(?:不是|不怪|不关)(?P<denied>.+?)(?:[,，\s]*)(?:而)?是(?P<named>.+)")
_DENIED_CLAUSE = re.compile(r"[^,，。\s]*(?:没关系|无关|不怪|没问题|挺好|很好)[^,，。\s]*")


def _named_options(t: str) -> set[str]:
    return {name for name, rx in _CHOICE_WORDS if rx.search(t)}


def cause_choice(text: str) -> str | None:
    """Map a reply to the cause-choice question to ``staff``/``policy``/``network_system``/``other``.

    Accepts the button titles (numbered or not), the option's position (1–4,
    "第2个") and the customer's own words for each option ("是那个接电话的小姑娘
    的问题", "你们公司规定太死", "信号问题", "都不是"); Traditional wording is
    folded by normalisation. Returns None when the reply names no option, or
    names two (the customer must choose, we never guess).
    """
    t = normalize(text or "").strip()
    if not t:
        return None
    titled = choice_by_title(t)
    if titled is not None:
        return titled.key
    m = _OPTION_NUMBER.match(t)
    if m:
        return CAUSE_CHOICES[int(m.group(1)) - 1].key
    numbered = _NUMBERED_TITLE.match(t)
    if numbered and choice_by_title(numbered.group(2)) is not None:
        return CAUSE_CHOICES[int(numbered.group(1)) - 1].key
    if _NONE_OF_THEM.search(t) and len(_named_options(_NONE_OF_THEM.sub("", t))) == 0:
        return "other"
    denied = _DENIED_THEN_NAMED.search(t)
    if denied:
        t = denied.group("named")
    t = _DENIED_CLAUSE.sub(" ", t) if _named_options(_DENIED_CLAUSE.sub(" ", t)) else t
    hits = _named_options(t)
    return hits.pop() if len(hits) == 1 else None


_LEADING_DIGIT = re.compile(
    r"^\s*([1-5])(?![\d.]|\s*(?:分钟|分半|个|小时|天|号|[GgKkMm]|次|年|月|元|块|点|楼|岁|[-~到至或]))"
    r"(?:\s*分)?\s*[,，。.、!！ ]?\s*(.*)$", re.S)


def contradicted_score(text: str) -> tuple[int, str] | None:
    """A leading 1–5 followed by words that mean another score ("5 态度太差了", "1 非常满意").

    The parser refuses such replies; the dialogue asks which score was meant
    rather than failing the attempt, since this is the classic scale-direction
    confusion. Only *words* contradict: a second number ("3分或者4分") is two
    candidate scores, not a contradiction. Returns the digit and the remaining
    text, or None.
    """
    from bot.rating import parse_reply

    m = _LEADING_DIGIT.match(normalize(text))
    if not m or not m.group(2).strip():
        return None
    digit, rest = int(m.group(1)), m.group(2).strip()
    words = parse_reply(rest)
    if words.score is None or words.score == digit or words.kind != "rating" or not words.inferred:
        return None
    return digit, rest


_OPT_IN_RE = re.compile(r"^\s*(?:我要|我想|请|麻烦)?(?:重新|恢复|继续)(?:订阅|评价|接收|发送)(?:吧|了|一下)?\s*[.!。！]?\s*$")


def is_opt_in(text: str) -> bool:
    """True for a customer message asking to receive surveys again ("重新订阅", "恢复评价")."""
    return bool(_OPT_IN_RE.match(normalize(text or "")))


# What a message that only gives an identifier is made of: the identifier's name, a redaction placeholder, filler.
_IDENTIFIER_ONLY_RE = re.compile(
    r"^(?:\s|[:：,，。.#\-]|我的|我|的|是|为|这是|号码|手机号码?|手机|电话号码?|电话|联系方式|订单号?|单号|工单号?|运单号?"
    r"|快递单号?|房间号?|房号|卡号|银行卡|账号|账户|会员号|编号|尾号|身份证号?|合同号|车牌号?|\[[^\]]{1,8}\])*$")


def is_identifier_only(text: str) -> bool:
    """True for a message that only gives a number or id ("手机号 [手机号]", "订单号 [银行卡号]"): never a reason."""
    return bool(_IDENTIFIER_ONLY_RE.match(normalize(text or "")))
