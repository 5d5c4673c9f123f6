"""The SMS texts: the fixed, versioned invitation, the reply carrier, their billed length, and buttons as numbered options.

Chinese providers send only texts registered in advance as *templates*
(Tencent Cloud ``{1}`` placeholders, Alibaba Cloud ``${name}``), under a
registered *signature* that the platform prefixes as ``【签名】``. What the
customer receives, and what is billed, is therefore signature + rendered
text. Billing rule (Alibaba Cloud "短信发送频率限制/计费" help,
https://help.aliyun.com/document_detail/44335.htm; Tencent Cloud "长短信"
rule, https://cloud.tencent.com/document/product/382/34671): up to 70
characters — every Chinese character, letter, digit, punctuation mark and
the 【】 of the signature count as one — is one message; beyond that the text
is a long SMS billed in 67-character segments, 500 characters at most.

A template is versioned like the web greeting (``FEEDBACKBOT_GREETING_VERSION``):
the version is stored with the survey so a rating can be traced to the exact
wording the customer saw. The wording states the scale *and its direction*
(the classic SMS survey mistake is a customer who answers 1 meaning "first
class") and how to opt out ("回复TD退订", the wording operators expect in every
marketing or survey SMS).
"""
from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

SINGLE_SMS_CHARS = 70
SEGMENT_CHARS = 67
MAX_LONG_SMS_CHARS = 500
# Numbered options are read back by bot.dialogue.cues.cause_choice (1–4) and by
# the rating parser; more than 9 would need two-digit answers, which an SMS
# customer mistypes easily.
MAX_NUMBERED_OPTIONS = 9

_PLACEHOLDER = re.compile(r"\{(\w+)\}")


class TemplateError(ValueError):
    """A template that cannot be sent as configured (too long, unknown, missing parameter)."""


@dataclass(frozen=True)
class SmsTemplate:
    """One registered SMS template.

    Attributes:
        key: What the template is for (``invite``, ``reply``).
        version: Wording version, stored with the survey.
        text: The wording with ``{name}`` placeholders, *without* the signature.
        params: Placeholder names in the order Tencent Cloud numbers them (``{1}``, ``{2}``…).
    """

    key: str
    version: str
    text: str
    params: tuple[str, ...] = ()

    def render(self, values: Mapping[str, str] | None = None) -> str:
        """The text with its placeholders filled.

        Raises:
            TemplateError: when a placeholder has no value.
        """
        values = values or {}
        missing = [p for p in self.params if p not in values]
        if missing:
            raise TemplateError(f"template {self.key}/{self.version}: missing parameter(s) {missing}")
        return _PLACEHOLDER.sub(lambda m: str(values[m.group(1)]), self.text)

    def positional(self, values: Mapping[str, str] | None = None) -> list[str]:
        """Parameter values in placeholder order: Tencent Cloud's ``TemplateParamSet``."""
        values = values or {}
        return [str(values[p]) for p in self.params]


#: Every template ever sent, by (key, version). Never edit a published entry:
#: add a new version, register it with the provider, then switch the setting.
TEMPLATES: dict[tuple[str, str], SmsTemplate] = {
    ("invite", "v1"): SmsTemplate(
        "invite", "v1", "您好，请为刚才通话中客服的服务评分：回复1-5，5分最满意，1分最不满意。回复TD退订"),
    # The bot's answers during an SMS survey: one variable carrying the answer.
    # The opt-out wording is in the invitation; repeating it in every answer
    # would push the cause-choice question over one billed message.
    ("reply", "v1"): SmsTemplate("reply", "v1", "{answer}", ("answer",)),
}

#: Shorter SMS labels for long button titles, so a question with its options
#: stays within one billed message. Each must still be read back as its option
#: by bot.dialogue.cues.cause_choice (a test checks this).
SHORT_TITLES: dict[str, str] = {
    "客服人员的服务": "客服服务",
    "公司业务或规定": "公司规定",
    "网络或系统": "网络系统",
}


def template(key: str, version: str) -> SmsTemplate:
    """The template ``key`` at ``version``.

    Raises:
        TemplateError: when no such template exists.
    """
    try:
        return TEMPLATES[(key, version)]
    except KeyError:
        raise TemplateError(f"no SMS template {key!r} version {version!r}") from None


@dataclass(frozen=True)
class SmsLength:
    """The billed length of one SMS.

    Attributes:
        chars: Characters counted: ``【签名】`` plus the text.
        segments: Billed messages (1 up to 70 characters, then one per 67).
    """

    chars: int
    segments: int


def signed_length(sign: str, text: str) -> int:
    """Characters of ``【sign】text`` as the providers count them (one per character, whatever the script)."""
    return len(f"【{sign}】") + len(text)


def sms_length(sign: str, text: str, *, allow_long: bool) -> SmsLength:
    """Check that ``【sign】text`` can be sent, and say how many messages it bills.

    Args:
        sign: The registered signature, without brackets (providers add 【】).
        text: The rendered text.
        allow_long: Whether long SMS (67-character segments) may be sent.

    Raises:
        TemplateError: when the text is longer than one message and long SMS
            are not allowed, or longer than the providers' 500-character limit.
    """
    if not sign.strip():
        raise TemplateError("SMS signature is empty: providers refuse unsigned messages")
    chars = signed_length(sign, text)
    if chars <= SINGLE_SMS_CHARS:
        return SmsLength(chars, 1)
    if not allow_long:
        raise TemplateError(
            f"SMS is {chars} characters with its signature, over {SINGLE_SMS_CHARS} (one billed message); "
            "shorten it or set FEEDBACKBOT_SMS_ALLOW_LONG=true")
    if chars > MAX_LONG_SMS_CHARS:
        raise TemplateError(f"SMS is {chars} characters, over the providers' limit of {MAX_LONG_SMS_CHARS}")
    return SmsLength(chars, math.ceil(chars / SEGMENT_CHARS))


def check_templates(sign: str, versions: Mapping[str, str], *, allow_long: bool,
                    sample_params: Mapping[str, Mapping[str, str]] | None = None) -> dict[str, SmsLength]:
    """Check the configured templates at start-up (fixed part only unless sample parameters are given).

    Args:
        sign: The configured signature.
        versions: Template key → configured version.
        allow_long: Whether long SMS may be sent.
        sample_params: Per key, parameter values to render with (default: empty strings).

    Returns:
        Per key, the billed length.

    Raises:
        TemplateError: for an unknown template or one that is too long.
    """
    out: dict[str, SmsLength] = {}
    for key, version in versions.items():
        t = template(key, version)
        values = (sample_params or {}).get(key) or {p: "" for p in t.params}
        out[key] = sms_length(sign, t.render(values), allow_long=allow_long)
    return out


def button_titles(buttons: Sequence[Mapping[str, Any]]) -> list[str]:
    """The titles of Rasa response buttons (``[{"title": …, "payload": …}]``), blank ones dropped."""
    return [str(b.get("title") or b.get("payload") or "").strip() for b in buttons
            if str(b.get("title") or b.get("payload") or "").strip()]


def numbered_options(text: str, buttons: Sequence[Mapping[str, Any]],
                     short_titles: Mapping[str, str] | None = None) -> str:
    """A question with buttons as one SMS text: ``…是因为：回复1 客服服务 2 公司规定 3 网络系统 4 其他``.

    The numbers are the buttons' positions, which is how a typed answer is read
    back (``bot.dialogue.cues.cause_choice`` maps "1"–"4" to the options in
    ``CAUSE_CHOICES`` order, the order of ``domain.yml``'s buttons). A message
    without buttons is returned unchanged.

    Args:
        text: The question.
        buttons: Rasa response buttons.
        short_titles: Title → SMS label (default :data:`SHORT_TITLES`; ``{}`` keeps the titles).

    Raises:
        TemplateError: with more than :data:`MAX_NUMBERED_OPTIONS` buttons.
    """
    labels = SHORT_TITLES if short_titles is None else short_titles
    titles = [labels.get(t, t) for t in button_titles(buttons)]
    if not titles:
        return text
    if len(titles) > MAX_NUMBERED_OPTIONS:
        raise TemplateError(f"{len(titles)} buttons cannot be numbered 1-{MAX_NUMBERED_OPTIONS} in an SMS")
    options = " ".join(f"{i} {title}" for i, title in enumerate(titles, start=1))
    return f"{text.rstrip()}回复{options}"
