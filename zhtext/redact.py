"""PII redaction for customer feedback text: the one entry point, :func:`redact`.

Replaces personal data with fixed placeholders before text is stored, used
for training, sent to Rasa or shown in logs:

=====================  ===============  =================================================
kind                   placeholder      found by (``zhtext.recognizers``)
=====================  ===============  =================================================
e-mail                 ``[邮箱]``        ``@``/``＠``/``at``/``艾特``, dots as ``.``/``dot``/``点``
resident ID card       ``[身份证号]``    18 digits (birth date or GB 11643 check), 15-digit old form
bank card              ``[银行卡号]``    16–19 digits: issuer prefix, Luhn sum or a card word
mobile                 ``[手机号]``      ``1[3-9]`` + 9 digits, ``+86``/``0086``
landline               ``[电话]``        area code + number, ``(021)``, extensions
WeChat id              ``[微信号]``      after 微信/v信/vx/wx/weixin…, ``wxid_…``
QQ number              ``[QQ号]``        after QQ/Q Q/qq号/扣扣
address                ``[地址]``        place names down to 号/栋/单元/室/组
licence plate          ``[车牌号]``      京A12345, 粤B·D12345
name with contact cue  ``[姓名]``        after 收件人/联系人/姓名/我叫…
=====================  ===============  =================================================

How: the text is folded into a view (:mod:`zhtext.textview`: Unicode spaces,
zero-width characters, full-width digits and punctuation), the recognisers
find and validate candidates there (:mod:`zhtext.recognizers`,
:mod:`zhtext.validators`), the anonymiser keeps the best non-overlapping ones
and replaces exactly the original characters (:mod:`zhtext.anonymize`).
"""
from __future__ import annotations

import re
from functools import lru_cache

from zhtext.anonymize import PLACEHOLDERS, anonymize, resolve
from zhtext.recognizers import CHINESE_DIGITS, recognize
from zhtext.textview import view_of

__all__ = ["PLACEHOLDERS", "find_pii", "redact"]

# Every finding needs (in the view) a digit, a Latin letter, an @ or a cue character: text without any is returned at once.
_MAY_HOLD = re.compile("[0-9@A-Za-z" + "".join(CHINESE_DIGITS) + "]|[微薇威维徽卫扣企球人叫名主呼某]|我是")


def find_pii(text: str) -> list[tuple[int, int, str]]:
    """Where personal data is in ``text``: ``(start, end, kind)`` spans of the original text, in order.

    Args:
        text: Any text.

    Returns:
        Non-overlapping spans with the kind (a key of :data:`PLACEHOLDERS`).
    """
    view = view_of(text)
    return [(*view.original_span(f.start, f.end), f.kind) for f in resolve(recognize(view))]


def redact(text: str | None) -> str:
    """Replace personal data in ``text`` with placeholders.

    Args:
        text: Customer message (raw or normalised). ``None`` becomes ``""``.

    Returns:
        The text with each piece of personal data replaced by its placeholder
        (:data:`PLACEHOLDERS`) and full-width digits made half-width;
        ``redact(redact(t)) == redact(t)``.
    """
    if not text:
        return ""
    text = str(text)
    return _redact_short(text) if _memo and len(text) <= _CACHED_CHARS else _redact(text)


# Replies repeat ("5", "满意", a centre's stock phrases): an import of a million rows redacts the same short
# texts over and over. The result depends on the text alone. Only a process that asks for it keeps them (the
# import's workers, which end with the import): the cache is keyed by the raw text, personal data included,
# which a long-running server must not hold beyond an erasure. Long texts are never kept.
_CACHED_CHARS = 200
_memo = False


def remember_short_texts() -> None:
    """Keep the results for short texts in this process from now on (see :data:`_CACHED_CHARS`)."""
    global _memo
    _memo = True


def _redact(text: str) -> str:
    view = view_of(text)
    if not _MAY_HOLD.search(view.text):
        return anonymize(view, [])
    return anonymize(view, recognize(view))


_redact_short = lru_cache(maxsize=16_384)(_redact)


