"""Property tests of zhtext.redact: every kind of number in every separator style (hardening issue, item 1).

Hypothesis draws a personal number of each kind (mobile with or without
+86/0086, 18-digit ID card with a real birth date, 15-digit old ID card,
bank card, landline with area code, QQ number after a cue), writes its
digits half-width, full-width, in Chinese numerals or in another Unicode
digit form (circled, mathematical, Arabic-Indic, superscript), cuts it into random
groups and puts a separator drawn *per gap* from Unicode spaces, zero-width
and format characters, full-width and ASCII punctuation, spaced hyphens and
dashes, then embeds it in a customer's sentence that holds no digit of any
form. The property: no digit of any form is left in the output (the number
is gone completely), the output is a fixed point of ``redact``, and the
sentence around the number is kept.
"""
from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from zhtext.redact import redact
from zhtext.validators import PROVINCE_CODES, id_card_check_char, luhn_ok

# Context without any digit in any written form (no 一/两/三… either).
BEFORE = ["", "我的手机是", "麻烦回电话", "号码：", "客服让我报", "卡号", "身份证号码是", "您好，我是机主，", "联系方式 ",
          "快递员打的是", "银行说卡号", "请拨", "电话", "退款退到"]
AFTER = ["", "，到现在也没人回", "。", " 谢谢", "，麻烦尽快处理", "，打不通", "吧", "，我在等电话", "啊！！",
         "是我家人的", "，怎么还没退款", "\n再见"]

SEPARATORS = [
    "", " ", "  ", "   ", "\u3000", "\u00a0", "\u2002", "\u2009", "\u202f", "\u205f",  # spaces
    "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad",  # zero-width and format characters
    "-", " - ", "－", "—", "–", " — ", "‐", ".", "·", "・", "。", "．",  # hyphens, dashes, dots
    ",", "，", "、", " , ", "，  ", "/", "／", "_", "\t",  # commas, slashes
    "~", "～", "+", "*", "|", "：", ") (", "】【",  # and what else people put between groups
    "\u2028", "\u3164", "\u2800", "\ufe0f", "\u20e3",  # line separator, blank letters, emoji marks
]
_FULL = "０１２３４５６７８９"
_CHINESE = ["〇一二三四五六七八九", "零一二三四五六七八九", "洞幺二三四五六七八九", "零壹贰叁肆伍陆柒捌玖", "洞幺两三四五六拐八勾"]
_OTHER = ["⓪①②③④⑤⑥⑦⑧⑨", "𝟎𝟏𝟐𝟑𝟒𝟓𝟔𝟕𝟖𝟗", "٠١٢٣٤٥٦٧٨٩", "⁰¹²³⁴⁵⁶⁷⁸⁹"]  # circled, maths, Arabic-Indic, superscript
_ANY_DIGIT = {ch: d for d in range(10) for ch in {str(d), _FULL[d], *(f[d] for f in _CHINESE + _OTHER)}}


def digits_left(text: str) -> str:
    """Every digit of ``text`` in any written form."""
    return "".join(ch for ch in text if ch in _ANY_DIGIT)


def _digits(draw, n: int) -> str:
    return "".join(draw(st.lists(st.sampled_from("0123456789"), min_size=n, max_size=n)))


@st.composite
def mobile(draw) -> str:
    return "1" + draw(st.sampled_from("3456789")) + _digits(draw, 9)


def _birth(draw, first: int, last: int) -> dt.date:
    return dt.date(first, 1, 1) + dt.timedelta(days=draw(st.integers(0, (dt.date(last, 12, 31) - dt.date(first, 1, 1)).days)))


@st.composite
def id_card18(draw) -> str:
    region = draw(st.sampled_from(sorted(PROVINCE_CODES))) + _digits(draw, 4)
    body = region + _birth(draw, 1930, 2015).strftime("%Y%m%d") + _digits(draw, 3)
    return body + id_card_check_char(body)


@st.composite
def id_card15(draw) -> str:
    region = draw(st.sampled_from(sorted(PROVINCE_CODES))) + _digits(draw, 4)
    return region + _birth(draw, 1930, 1999).strftime("%y%m%d") + _digits(draw, 3)


@st.composite
def bank_card(draw) -> str:
    length = draw(st.integers(16, 19))
    prefix = draw(st.sampled_from(["62", "4", "5", "3"]))
    body = prefix + _digits(draw, length - len(prefix) - 1)
    return body + next(d for d in "0123456789" if luhn_ok(body + d))


@st.composite
def landline(draw) -> str:
    area = draw(st.sampled_from(["010", "021", "020", "022", "028", "0755", "0571", "0431", "0898", "0512"]))
    return area + _digits(draw, (8 if len(area) == 3 else draw(st.sampled_from([7, 8]))))


@st.composite
def written(draw, number: str) -> str:
    """``number`` in one glyph style, cut into random groups with a separator drawn for each gap."""
    style = draw(st.sampled_from(["ascii", "full", "chinese", "other", "mixed"]))
    chinese, other = draw(st.sampled_from(_CHINESE)), draw(st.sampled_from(_OTHER))

    def glyph(ch: str) -> str:
        if not ch.isdigit():
            return ch
        forms = {"ascii": ch, "full": _FULL[int(ch)], "chinese": chinese[int(ch)], "other": other[int(ch)]}
        return forms.get(style) or draw(st.sampled_from(list(forms.values())))

    glyphs = [glyph(ch) for ch in number]
    out, i = "", 0
    while i < len(glyphs):
        size = draw(st.integers(1, 6))
        out += "".join(glyphs[i:i + size])
        i += size
        if i < len(glyphs):
            out += draw(st.sampled_from(SEPARATORS))
    return out


def _check(text: str, before: str, after: str) -> None:
    out = redact(text)
    assert digits_left(out) == "", (text, out)
    assert out.startswith(before) and out.endswith(after), (text, out)
    assert redact(out) == out, (text, out)


@settings(max_examples=500, deadline=None)
@given(data=st.data(), number=mobile(), before=st.sampled_from(BEFORE), after=st.sampled_from(AFTER),
       prefix=st.sampled_from(["", "+86", "+86 ", "0086-", "0086 ", "+86-"]))
def test_no_mobile_digit_survives_any_separator(data, number, before, after, prefix):
    _check(f"{before}{prefix}{data.draw(written(number))}{after}", before, after)


@settings(max_examples=300, deadline=None)
@given(data=st.data(), number=id_card18(), before=st.sampled_from(BEFORE), after=st.sampled_from(AFTER),
       x=st.sampled_from(["X", "x", "Ｘ"]))
def test_no_id_card_digit_survives_any_separator(data, number, before, after, x):
    if number.endswith("X"):
        number = number[:-1] + x
    _check(f"{before}{data.draw(written(number))}{after}", before, after)


@settings(max_examples=200, deadline=None)
@given(data=st.data(), number=id_card15(), before=st.sampled_from(BEFORE), after=st.sampled_from(AFTER))
def test_no_old_id_card_digit_survives_any_separator(data, number, before, after):
    _check(f"{before}{data.draw(written(number))}{after}", before, after)


@settings(max_examples=300, deadline=None)
@given(data=st.data(), number=bank_card(), before=st.sampled_from(BEFORE), after=st.sampled_from(AFTER))
def test_no_bank_card_digit_survives_any_separator(data, number, before, after):
    _check(f"{before}{data.draw(written(number))}{after}", before, after)


@settings(max_examples=300, deadline=None)
@given(data=st.data(), number=landline(), before=st.sampled_from(BEFORE), after=st.sampled_from(AFTER),
       brackets=st.booleans(), extension=st.sampled_from(["", "转123", " 转 8001", "-806", " ext 12"]))
def test_no_landline_digit_survives_any_separator(data, number, before, after, brackets, extension):
    area = 3 if number[1] in "12" else 4
    head = f"({number[:area]})" if brackets else data.draw(written(number[:area]))
    gap = "" if brackets else data.draw(st.sampled_from(SEPARATORS))
    _check(f"{before}{head}{gap}{data.draw(written(number[area:]))}{extension}{after}", before, after)


@settings(max_examples=200, deadline=None)
@given(data=st.data(), number=st.integers(10000, 99999999999).map(str),
       cue=st.sampled_from(["QQ", "qq号", "Q Q ", "QQ号码：", "扣扣", "扣 扣 ", "我的QQ是", "企鹅号"]),
       after=st.sampled_from(AFTER))
def test_no_qq_digit_survives_any_separator(data, number, cue, after):
    body = data.draw(written(number).filter(lambda w: not any(ch in w for ch in "".join(_CHINESE))))
    out = redact(f"{cue}{body}{after}")
    assert digits_left(out) == "" and ("[QQ号]" in out or "[手机号]" in out), out
