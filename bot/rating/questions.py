"""Questions instead of an answer: about the scale, or about something else (topics).

The dialogue answers each topic honestly and asks for the score again.
"""
from __future__ import annotations

import re

from bot.rating.tokens import EDGE_DELIMS_RE

# --------------------------------------------------------------------------
# Questions about the scale
# --------------------------------------------------------------------------

_Q_SPECIFIC_RE = re.compile(
    # "5是满意吗", "1是最好吗", "5分代表什么"
    r"(?<![0-9.])(?:[1-5]|[一二三四五壹贰叁肆伍])(?![0-9])\s*(?:分|星|颗星)?\s*"
    r"(?:是|就是|代表|表示|算|等于|为|=|最)[^?吗么嘛]{0,10}(?:吗|么|嘛|\?|什么|啥|哪)"
    # "回几是满意", "打几分"
    r"|(?:回复|回|选|按|打|填|发|输|给|评|是)\s*几(?!次|个|遍|天|小时|分钟|年|月|号|点|句|条|张|位|人|满|好)"
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


def is_scale_question(text: str) -> bool:
    """True for a question about the scale itself ("5是满意吗", "回几是满意", "怎么打分")."""
    return bool(_Q_SPECIFIC_RE.search(text))


def is_generic_question(text: str) -> bool:
    """True for a reply with no score that still reads as a question about answering ("?", "什么意思")."""
    if not EDGE_DELIMS_RE.sub("", text) and "?" in text:
        return True
    if _Q_GENERIC_RE.search(text):
        return True
    return bool(_Q_MARK_RE.search(text) and _SCALE_VOCAB_RE.search(text))




# Questions about something other than the scale, in the order they are tried.
# Each is answered honestly by the dialogue (how to check the sender, that the
# survey is automated, that a follow-up request is passed on, which languages
# it understands) before the score is asked again.
_ASKS = r"[?吗么呢]|是不是|会不会|能不能|可不可以|有没有|怎么|怎样|如何|哪|什么时候|啥时候|几时|多久|几点"
TOPICS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("language", re.compile(
        r"english|英文|英语|粤语|广东话|白话|闽南话|(?:看|听)不懂(?:中文|普通话)|不懂中文|不会中文|speak chinese", re.I)),
    ("human", re.compile(
        r"(?:转|要|找|接)人工|人工(?:服务|客服)|真人|机器人|机器(?:在)?(?:回|答|说)|人工还是机器|是人工"
        r"|自动(?:回复|的|发)|\bai\b|robot|\bbot\b|real person|human|是不是人", re.I)),
    ("genuine", re.compile(
        r"诈骗|骗子|骗人|钓鱼|正规|官方|(?:短信|信息|消息|链接|网址|号码|电话|这条|这个)\S{0,6}(?:真的|安全|可靠|靠谱|你们)"
        r"|真的(?:客服|吗)|是真的|是(?:不是)?你们(?:公司)?(?:发|打)的|怎么(?:证明|确认|知道)你们|(?:怎么|哪来的?|从哪)\S{0,3}有?我的?(?:电话|号码|手机)"
        r"|泄露|scam|spam|genuine|legit|phishing", re.I)),
    ("followup", re.compile(
        r"什么时候|啥时候|几时|多久|几点|哪一步|进度|到哪(?:了|里|儿)|帮我(?:查|看|问|处理|催)|查一下|查查"
        r"|有人(?:处理|跟进|联系|管|回)|回(?:电话|个电话|电)|(?:明天|今天|马上|现在)\S{0,4}能|能来吗|when will|where is", re.I)),
)
_NEEDS_ASK = frozenset({"genuine", "followup"})
_ASKS_RE = re.compile(_ASKS + r"|when|where|how|what|can |could |do you|are you|is this|please", re.I)


def question_topic(text: str) -> str | None:
    """The topic of a question that is not about the scale, or None.

    ``language`` and ``human`` are recognised from their words alone ("English
    please", "我要人工服务"); ``genuine`` and ``followup`` also need a question
    cue, so a statement such as "退款到现在还没到" stays a reason.
    """
    for topic, rx in TOPICS:
        if rx.search(text) and (topic not in _NEEDS_ASK or _ASKS_RE.search(text) or topic == "genuine"
                                and re.search(r"诈骗|骗子|钓鱼|scam|phishing", text, re.I)):
            return topic
    return None
