"""PII redaction for customer feedback text.

Replaces personal data with fixed placeholders before text is stored,
used for training or shown in logs:

* e-mail addresses            → ``[邮箱]``
* 18-digit ID-card numbers    → ``[身份证号]`` (last character may be X; birth date checked)
* bank-card numbers           → ``[银行卡号]`` (16–19 digits, plain or in groups of 4)
* mainland mobile numbers     → ``[手机号]`` (+86 / 0086 / 86 prefixes, spaced or dashed)
* landlines                   → ``[电话]`` (``010-12345678``, ``0755 8888 6666``, ``(021)…``, ext.)
* WeChat ids                  → ``[微信号]`` (after 微信/微信号/vx/wx/v信…, or ``wxid_…``)
* QQ numbers                  → ``[QQ号]`` (5–11 digits after QQ/扣扣)

Numbers are found in every way customers write them: half- or full-width
digits, Chinese numerals digit by digit (一三九…, 幺 and 洞 as spoken on the
phone, 〇/零, capitals 壹贰…), with single spaces, dashes or dots anywhere
between digits (an ID card as ``110105 19900307 123X``), and full-width
e-mail addresses (``ｚｈａｎｇ＠ｑｑ．ｃｏｍ``).

Matching runs on a *view* of the text in which every such character is
replaced one-for-one by its ASCII form, so positions in the view are
positions in the text; the output keeps the text as it was except that
full-width digits become half-width (as the normaliser would) and every
match becomes its placeholder. Digit runs are matched with look-arounds so a
number is never cut out of a longer ASCII digit string (an order number),
and the order of the patterns (ID card before bank card before phones) keeps
one number from being claimed by two rules. Runs written with Chinese
numerals are searched without those look-arounds (``…五六七八一直没人接``:
the 一 of 一直 is not part of the number).
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
    "wechat": "[微信号]",
    "qq": "[QQ号]",
}

# Separators people type inside numbers: space, dash, dot (full-width and
# ideographic variants fold to these in the view).
_SEP = r"[ \-.]?"

_EMAIL = re.compile(r"[A-Za-z0-9][A-Za-z0-9._%+\-]*@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")

# 6-digit region, birth date 18xx/19xx/20xx + MMDD, 3-digit sequence, check
# digit; a single space or dash may stand between any two characters.
_ID_CARD = re.compile(r"(?<![0-9A-Za-z])[1-9](?:[ \-]?\d){16}[ \-]?[0-9Xx](?![0-9A-Za-z])")
_ID_BODY = re.compile(r"[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[0-9Xx]")

# Bank cards: 16-19 digits, a single space or dash allowed between any two.
_BANK_CARD = re.compile(r"(?<![\d])\d(?:[ \-]?\d){15,18}(?![\d])")

# Mobile: optional +86 / 0086 / 86 prefix, then 1[3-9] and nine digits with
# an optional single separator between any two.
_MOBILE = re.compile(r"(?<![\d+])(?:(?:\+|00)?86[ \-]?)?1" + _SEP + r"[3-9](?:" + _SEP + r"\d){9}(?![\d])")

# Landline: area code 0 + 2-3 digits (optionally in brackets), separator,
# 7-8 digit number (a single space or dash between any two), optional extension.
_LANDLINE = re.compile(
    r"(?<![\d])(?:\(0\d{2,3}\)|0(?:[ \-]?\d){2,3})[ \-]?\d(?:[ \-]?\d){6,7}(?:[ \-]?(?:转|ext\.?|x)[ \-]?\d{1,6})?(?![\d])"
)
# 400/800 service numbers are the company's, not personal data; leave them.

# WeChat: a cue, an optional 号/id and 是/:, then an id (6-20 characters,
# starting with a letter); or an account id of the wxid_ form anywhere.
_WECHAT = re.compile(
    r"(?:(?<=微信)|(?<=薇信)|(?<=威信)|(?<=v信)|(?<=V信)|(?<=(?<![A-Za-z])[vVwW][xX])|(?<=wechat)|(?<=WeChat))"
    r"(?:号|id|ID)?\s*(?:是|为|:)?\s*(?P<pii>[A-Za-z][A-Za-z0-9_\-]{5,19}|1[3-9]\d{9})(?![A-Za-z0-9_\-])"
)
_WXID = re.compile(r"(?<![A-Za-z0-9_])wxid_[A-Za-z0-9_\-]{4,30}")
_QQ = re.compile(r"(?:(?<=[Qq][Qq])|(?<=扣扣))(?:号|号码)?\s*(?:是|为|:)?\s*(?P<pii>[1-9]\d{4,10})(?![\d])")

# The digit (and letter) view: one character for one character.
_FULLWIDTH = {chr(c): chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F)}
_CHINESE_DIGITS = {**dict.fromkeys("〇零洞", "0"), **dict.fromkeys("一幺壹", "1"), "二": "2", "贰": "2",
                   "三": "3", "叁": "3", "四": "4", "肆": "4", "五": "5", "伍": "5", "六": "6", "陆": "6",
                   "七": "7", "柒": "7", "八": "8", "捌": "8", "九": "9", "玖": "9"}
_VIEW = str.maketrans({**_FULLWIDTH, "\u3000": " ", "。": ".", "—": "-", "－": "-"})
_CHINESE_VIEW = str.maketrans(_CHINESE_DIGITS)
_HALF_DIGITS = str.maketrans("０１２３４５６７８９＋－（）＠", "0123456789+-()@")
_NEEDS_CHECK = re.compile(r"[\d@０-９＠〇零洞一幺壹二贰三叁四肆五伍六陆七柒八捌九玖]|[微薇威vVwWqQ扣]")

# A run of digits in any form with single separators, containing a Chinese numeral.
_DIGIT_CLASS = "0-9" + "".join(_CHINESE_DIGITS)
_CHINESE_RUN = re.compile(f"[{_DIGIT_CLASS}](?:[ \\-.]?[{_DIGIT_CLASS}]){{6,}}(?:[ \\-.]?[Xx])?")
_IN_RUN = [  # searched inside a Chinese-numeral run (no look-arounds: the run may go on into a word)
    ("id_card", re.compile(r"[1-9]\d{16}[0-9Xx]")),
    ("bank_card", re.compile(r"[3-6]\d{15,18}")),
    ("mobile", re.compile(r"(?:86)?1[3-9]\d{9}")),
    ("landline", re.compile(r"0\d{2,3}\d{7,8}")),
]


def _spans(view: str) -> list[tuple[int, int, str]]:
    """Non-overlapping ``(start, end, kind)`` of personal data in the view, earlier rules first."""
    found: list[tuple[int, int, str]] = []

    def free(a: int, b: int) -> bool:
        return all(b <= s or a >= e for s, e, _ in found)

    def claim(kind: str, pattern: re.Pattern[str], valid=None) -> None:
        for m in pattern.finditer(view):
            a, b = m.span("pii") if "pii" in pattern.groupindex else m.span()  # the cue before it stays
            if free(a, b) and (valid is None or valid(m.group())):
                found.append((a, b, kind))

    claim("email", _EMAIL)
    claim("wechat", _WECHAT)
    claim("wechat", _WXID)
    claim("qq", _QQ)
    # Runs with Chinese numerals before the strict patterns, which would cut
    # the ASCII part out of a mixed run (130000 19300一01 0000).
    found += _chinese_numeral_spans(view, free)
    claim("id_card", _ID_CARD, lambda g: _ID_BODY.fullmatch(re.sub(r"[ \-]", "", g)) is not None)
    claim("bank_card", _BANK_CARD)
    claim("mobile", _MOBILE)
    claim("landline", _LANDLINE)
    return sorted(found)


def _chinese_numeral_spans(view: str, free) -> list[tuple[int, int, str]]:
    """Numbers written (partly) in Chinese numerals: each run is read as digits and searched."""
    out: list[tuple[int, int, str]] = []
    for run in _CHINESE_RUN.finditer(view):
        text = run.group()
        if not any(ch in _CHINESE_DIGITS for ch in text):
            continue  # plain digits: the strict patterns above have decided
        positions = [run.start() + i for i, ch in enumerate(text) if ch not in " -."]
        digits = "".join(text[i - run.start()] for i in positions).translate(_CHINESE_VIEW)
        taken = [False] * len(digits)
        for kind, pattern in _IN_RUN:
            for m in pattern.finditer(digits):
                a, b = m.start(), m.end()
                if kind == "id_card" and not _ID_BODY.fullmatch(m.group()):
                    continue
                if any(taken[a:b]) or not free(positions[a], positions[b - 1] + 1):
                    continue
                if not any(view[i] in _CHINESE_DIGITS for i in positions[a:b]):
                    continue  # all ASCII: for the strict patterns (an order number before 一直 stays)
                taken[a:b] = [True] * (b - a)
                out.append((positions[a], positions[b - 1] + 1, kind))
    return out


def redact(text: str | None) -> str:
    """Replace personal data in ``text`` with placeholders.

    Args:
        text: Customer message (raw or normalised). ``None`` becomes ``""``.

    Returns:
        The text with e-mails, WeChat ids, QQ numbers, ID-card, bank-card,
        mobile and landline numbers replaced by ``[邮箱]``, ``[微信号]``,
        ``[QQ号]``, ``[身份证号]``, ``[银行卡号]``, ``[手机号]``, ``[电话]``, and
        full-width digits made half-width.
    """
    if not text:
        return ""
    text = str(text)
    out = text.translate(_HALF_DIGITS)
    if not _NEEDS_CHECK.search(text):  # fast path: most feedback has no digits
        return out
    pieces, last = [], 0
    for start, end, kind in _spans(text.translate(_VIEW)):
        pieces += [out[last:start], PLACEHOLDERS[kind]]
        last = end
    pieces.append(out[last:])
    return "".join(pieces)
