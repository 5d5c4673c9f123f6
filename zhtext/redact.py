"""PII redaction for customer feedback text.

Replaces personal data with fixed placeholders before text is stored,
used for training or shown in logs:

* e-mail addresses            → ``[邮箱]``
* 18-digit ID-card numbers    → ``[身份证号]`` (last character may be X; birth date checked)
* bank-card numbers           → ``[银行卡号]`` (16–19 digits, plain or in groups of 4)
* mainland mobile numbers     → ``[手机号]`` (+86 / 0086 / 86 prefixes, spaced or dashed)
* landlines                   → ``[电话]`` (``010-12345678``, ``0755 8888 6666``, ``(021)…``, ext.)

Run it on *normalised* text (half-width digits); :func:`redact` also
half-widths digits itself so it is safe on raw text. Digit runs are matched
with look-arounds so a number is never cut out of a longer digit string,
and the order of the patterns (ID card before bank card before phones) keeps
one number from being claimed by two rules.
"""
from __future__ import annotations

import re

__all__ = ["redact", "PLACEHOLDERS"]

PLACEHOLDERS = {
    "email": "[邮箱]",
    "id_card": "[身份证号]",
    "bank_card": "[银行卡号]",
    "mobile": "[手机号]",
    "landline": "[电话]",
}

# Separators people type inside numbers: space, dash, dot (after normalisation
# full-width variants are already half-width).
_SEP = r"[ \-.]?"

_EMAIL = re.compile(r"[A-Za-z0-9][A-Za-z0-9._%+\-]*@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")

# 6-digit region, birth date 18xx/19xx/20xx + MMDD, 3-digit sequence, check digit.
_ID_CARD = re.compile(
    r"(?<![0-9A-Za-z])[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[0-9Xx](?![0-9A-Za-z])"
)

# Bank cards: 16-19 consecutive digits, or 4-4-4-4(-1..3) groups separated by
# spaces or dashes.
_BANK_CARD = re.compile(
    r"(?<![\d])(?:\d{16,19}|\d{4}(?:[ \-]\d{4}){3}(?:[ \-]?\d{1,3})?)(?![\d])"
)

# Mobile: optional +86 / 0086 / 86 prefix, then 1[3-9]x xxxx xxxx with
# optional single separators in the usual 3-4-4 places.
_MOBILE = re.compile(
    r"(?<![\d+])(?:(?:\+|00)?86[ \-]?)?1[3-9]\d" + _SEP + r"\d{4}" + _SEP + r"\d{4}(?![\d])"
)

# Landline: area code 0 + 2-3 digits (optionally in brackets), separator,
# 7-8 digit number (may be split 3-4 / 4-4), optional extension.
_LANDLINE = re.compile(
    r"(?<![\d])(?:\(0\d{2,3}\)|0\d{2,3})[ \-]?\d{3,4}[ \-]?\d{4}(?:[ \-]?(?:转|ext\.?|x)[ \-]?\d{1,6})?(?![\d])"
)
# 400/800 service numbers are the company's, not personal data; leave them.

_HALF_DIGITS = str.maketrans("０１２３４５６７８９＋－（）＠", "0123456789+-()@")
_NEEDS_CHECK = re.compile(r"[\d@]")


def redact(text: str | None) -> str:
    """Replace personal data in ``text`` with placeholders.

    Args:
        text: Customer message (raw or normalised). ``None`` becomes ``""``.

    Returns:
        The text with e-mails, ID-card, bank-card, mobile and landline numbers
        replaced by ``[邮箱]``, ``[身份证号]``, ``[银行卡号]``, ``[手机号]``, ``[电话]``.
    """
    if not text:
        return ""
    text = str(text).translate(_HALF_DIGITS)
    if not _NEEDS_CHECK.search(text):  # fast path: most feedback has no digits
        return text
    text = _EMAIL.sub(PLACEHOLDERS["email"], text)
    text = _ID_CARD.sub(PLACEHOLDERS["id_card"], text)
    text = _BANK_CARD.sub(PLACEHOLDERS["bank_card"], text)
    text = _MOBILE.sub(PLACEHOLDERS["mobile"], text)
    text = _LANDLINE.sub(PLACEHOLDERS["landline"], text)
    return text
