"""Which survey an SMS reply answers: the number's open surveys, the extension code, and "which call?" when unclear.

An SMS reply carries only the sender's number (and, where the account has
extension codes, the code the invitation was sent from). A number can have
several open surveys (two calls in one afternoon). The rule:

* no open survey → a polite answer, nothing stored (:data:`NO_OPEN_SURVEY_ZH`);
* the extension code names exactly one open survey → that one;
* exactly one open survey → that one;
* otherwise → ask which call (:func:`which_call_question`), keep the reply
  pending, and read the answer with :func:`which_call_answer`.

Extension codes are numeric strings appended to the sending number
(Tencent Cloud ``ExtendCode``, Alibaba Cloud ``SmsUpExtendCode``; both must be
enabled on the account); :func:`extend_code` derives one from a survey id.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from bot.domain.sms_templates import numbered_options
from zhtext.normalize import normalize

NO_OPEN_SURVEY_ZH = "您好，您目前没有待完成的服务评价，本条回复不会被记录。感谢您的支持！"
WHICH_CALL_ZH = "您有{n}次来电的评价尚未完成，请问这条回复评价的是哪一次？"
_CHOICE = re.compile(r"^\s*(?:第|选)?\s*([1-9])\s*(?:个|次|项|号)?\s*[.。、)]?\s*$")


@dataclass(frozen=True)
class OpenSurvey:
    """An open survey of the replying number.

    Attributes:
        survey_id: Its id.
        call_ended_at: When its call ended (aware); names the call in the question.
        extend_code: The extension code its invitation was sent from, if any.
    """

    survey_id: int
    call_ended_at: datetime
    extend_code: str | None = None


class Match(StrEnum):
    """What to do with a reply."""

    ONE = "one"
    ASK = "ask"
    NONE = "none"


@dataclass(frozen=True)
class ReplyMatch:
    """The outcome: the survey for ``ONE``, the candidates (oldest call first) for ``ASK``."""

    kind: Match
    survey_id: int | None = None
    candidates: tuple[OpenSurvey, ...] = ()


def extend_code(survey_id: int, digits: int) -> str:
    """A ``digits``-long numeric extension code for a survey (its id modulo 10**digits, zero-padded).

    Two open surveys of one number may share a code after wrap-around; then
    :func:`match_reply` falls back to asking.
    """
    if not 1 <= digits <= 12:
        raise ValueError("extension codes have 1-12 digits")
    return str(survey_id % 10**digits).zfill(digits)


def match_reply(open_surveys: Sequence[OpenSurvey], extend: str | None) -> ReplyMatch:
    """Pick the survey a reply answers (see the module docstring for the rule)."""
    if not open_surveys:
        return ReplyMatch(Match.NONE)
    if extend:
        hits = [s for s in open_surveys if s.extend_code == extend]
        if len(hits) == 1:
            return ReplyMatch(Match.ONE, hits[0].survey_id)
    if len(open_surveys) == 1:
        return ReplyMatch(Match.ONE, open_surveys[0].survey_id)
    ordered = tuple(sorted(open_surveys, key=lambda s: (s.call_ended_at, s.survey_id)))
    return ReplyMatch(Match.ASK, None, ordered)


def call_label(ended_at: datetime, tz: str) -> str:
    """``12月7日10:05的来电`` in the centre's time zone."""
    local = ended_at.astimezone(ZoneInfo(tz))
    return f"{local.month}月{local.day}日{local:%H:%M}的来电"


def which_call_question(candidates: Sequence[OpenSurvey], tz: str) -> str:
    """"您有2次来电的评价尚未完成，请问这条回复评价的是哪一次？回复1 12月7日10:05的来电 2 …"."""
    buttons = [{"title": call_label(s.call_ended_at, tz)} for s in candidates]
    return numbered_options(WHICH_CALL_ZH.format(n=len(candidates)), buttons, {})


def which_call_answer(text: str, candidates: Sequence[OpenSurvey]) -> OpenSurvey | None:
    """The candidate a reply to :func:`which_call_question` picks ("1", "第2次"), or None."""
    m = _CHOICE.match(normalize(text or ""))
    if not m:
        return None
    index = int(m.group(1)) - 1
    return candidates[index] if index < len(candidates) else None
