"""Recognisers of personal data in customer text, in the manner of Microsoft Presidio.

Each recogniser reads the folded :class:`~zhtext.textview.TextView` and returns
:class:`Finding` s (view span, kind, score); whether a candidate counts is
decided by a *validator* (ID-card check character and birth date, Luhn sum,
number plans, see :mod:`zhtext.validators`) or by *context words* before it
(``微信``, ``QQ``, ``收件人``, ``卡号``…). Replacing findings is the
anonymiser's job (:mod:`zhtext.anonymize`).

The recognisers, as the table :data:`RECOGNIZERS`:

* ``numbers``: every run of digits, half-width, full-width or Chinese
  numerals (``一三八``, ``幺``, ``洞``, capitals ``壹贰``), with up to four
  separator characters between any two digits (spaces, ``-``, ``.``,
  ``,``, ``/``, ``_``, brackets: after folding, that covers two spaces,
  full-width commas, zero-width spaces, spaced hyphens and mixed gaps).
  Inside a run, candidates start and end at group boundaries (a separator,
  or a change between Arabic and Chinese numerals), so a phone number is
  never cut out of a longer order number; in runs with Chinese numerals
  any position may start one (``…五六七八一直没人接``: 一直 is a word).
  Candidates are validated as ID card, bank card, mobile, landline (with
  ``(021)``, ``+86``/``0086`` and extensions).
* ``email``: ``@``, ``＠``, ``(at)``, `` at ``, ``艾特``; dots as ``.``,
  `` dot ``, ``点``, with spaces around.
* ``wechat`` / ``qq``: an id after a cue (微信, 微 信, v信, vx, wx, weixin,
  wechat; QQ, Q Q, qq号, 扣扣, 企鹅号) and ``wxid_`` anywhere.
* ``plate``: a province character, a letter and five (or six, new energy)
  letters and digits, with optional ``·``/space/dot.
* ``address``: place names ending in 省/市/区/县/镇/村/路/街/小区… followed by
  a house detail (``88号``, ``3号楼``, ``2单元``, ``501``, ``5组``).
* ``name``: a surname and given name, or surname and 先生/女士, after
  收件人/联系人/姓名/我叫/我是….
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from itertools import chain

from zhtext.textview import TextView
from zhtext.validators import is_bank_card, is_id_card, is_landline, is_mobile

__all__ = ["CHINESE_DIGITS", "Finding", "RECOGNIZERS", "recognize"]


@dataclass(frozen=True, slots=True)
class Finding:
    """One piece of personal data found in a view: ``[start, end)`` of the view, its kind and confidence."""

    start: int
    end: int
    kind: str
    score: float


# Chinese numerals read digit by digit, as people dictate numbers (幺 1, 两 2, 拐 7, 勾 9, 洞 0 on the phone).
CHINESE_DIGITS = {**dict.fromkeys("〇零洞", "0"), **dict.fromkeys("一幺壹", "1"), **dict.fromkeys("二贰两", "2"),
                  **dict.fromkeys("三叁", "3"), **dict.fromkeys("四肆", "4"), **dict.fromkeys("五伍", "5"),
                  **dict.fromkeys("六陆", "6"), **dict.fromkeys("七柒拐", "7"), **dict.fromkeys("八捌", "8"),
                  **dict.fromkeys("九玖勾", "9")}
_TO_ASCII = str.maketrans(CHINESE_DIGITS)
_D = "0-9" + "".join(CHINESE_DIGITS)
_SEP = r"[ \-.,/_()\[\]~+*|:;'\"\\]"
_RUN = re.compile(rf"[{_D}](?:{_SEP}{{0,4}}[{_D}])*(?:{_SEP}{{0,4}}[Xx](?![A-Za-z]))?")
_SEP_CHARS = frozenset(" -.,/_()[]~+*|:;'\"\\")

# Words just before a number that say what it is; within a few characters.
_CARD_CUE = re.compile(r"(?:卡号|银行卡|信用卡|储蓄卡|借记卡|卡)[^0-9]{0,6}$")
_ORDER_CUE = re.compile(r"(?:订单|单号|运单|快递单|工单|流水|交易号|编号|批次|条码|发票|会员号|账单号)[^0-9]{0,6}$")
_PHONE_CUE = re.compile(r"(?:电话|座机|固话|号码|手机|联系|打|拨|call|tel|Tel|TEL)[^0-9]{0,6}$")
_EXTENSION = re.compile(r"\s*(?:转|ext\.?|EXT\.?|x|X|分机|-)\s*(?:号\s*)?(\d{1,6})(?!\d)")


def _number_kind(digits: str, before: str) -> tuple[str, float] | None:
    """Validate one candidate digit string (ASCII, ``X`` allowed last) as a personal number."""
    n = len(digits)

    def order() -> bool:  # an order number: only a sure ID card or a named card (looked up only when needed)
        return _ORDER_CUE.search(before) is not None

    if n in (15, 18) and is_id_card(digits) and not (n == 15 and order()):
        return "id_card", 0.95
    if not digits.isdigit():
        return None
    if 16 <= n <= 19:
        card_cue = _CARD_CUE.search(before) is not None
        if is_bank_card(digits, cue=card_cue) and (card_cue or not order()):
            return "bank_card", 0.85
    if n in (11, 13, 15) and is_mobile(digits):
        return "mobile", 0.9
    if 10 <= n <= 15 and digits[0] in "08" and is_landline(digits) and not order():
        return "landline", 0.85
    if n in (7, 8) and digits[0] in "23456789" and _PHONE_CUE.search(before):
        return "landline", 0.6  # a local number without its area code, only where a phone word says so
    return None


def _numbers(view: TextView) -> list[Finding]:
    """Phone, landline, ID-card and bank-card numbers in every written form."""
    text, out = view.text, []
    for run in _RUN.finditer(text):
        if run.end() - run.start() < 7:
            continue
        chars = [(i, ch) for i in range(run.start(), run.end()) if (ch := text[i]) not in _SEP_CHARS]
        if len(chars) < 7:
            continue
        digits = "".join(ch for _, ch in chars).translate(_TO_ASCII)
        chinese = [ch in CHINESE_DIGITS for _, ch in chars]
        # Group boundaries: after a separator, and where Arabic and Chinese numerals meet.
        cuts = {0, len(chars)} | {k for k in range(1, len(chars))
                                  if chars[k][0] != chars[k - 1][0] + 1 or chinese[k] != chinese[k - 1]}
        taken = [False] * len(chars)
        # First candidates between group boundaries, leftmost then longest (01 0300 0000-806 is 010 +
        # extension, not 0300…); then, inside Chinese numerals only, candidates off a boundary
        # (…五六七八一直: 一直 is a word, not a digit).
        ordered = sorted(cuts)
        on_cuts = ((a, b) for i, a in enumerate(ordered) for b in reversed(ordered[i + 1:i + 20]) if 7 <= b - a <= 19)
        # In a long run (pasted or padded), starts only at boundaries: the work stays linear in its length.
        long_run = len(chars) > 64
        inside = ((a, b) for a in range(len(chars)) if a in cuts or (not long_run and chinese[a - 1] and chinese[a])
                  for b in range(min(len(chars), a + 19), a + 6, -1) if b in cuts or (chinese[b] and chinese[b - 1]))
        for a, b in chain(on_cuts, inside if any(chinese) else ()):
            if taken[a] or taken[b - 1] or any(taken[a:b]):
                continue
            found = _number_kind(digits[a:b], text[max(0, chars[a][0] - 12):chars[a][0]])
            if found is None:
                continue
            kind, score = found
            start, end = chars[a][0], chars[b - 1][0] + 1
            start = _widen_left(text, start, end)
            taken[a:b] = [True] * (b - a)
            if kind == "landline":
                end = _extension_end(text, end)
                for k in range(b, len(chars)):  # an extension's digits belong to this number
                    if chars[k][0] >= end:
                        break
                    taken[k] = True
            out.append(Finding(start, end, kind, score))
    return out


def _widen_left(text: str, start: int, end: int) -> int:
    """Take in a ``+`` of ``+86`` and the ``(`` of ``(021)`` (or ``[``) that stand just before a number."""
    if start and text[start - 1] == "+":
        return start - 1
    if start and text[start - 1] in "([" and (")" in text[start:end] or "]" in text[start:end]):
        return start - 1
    return start


def _extension_end(text: str, end: int) -> int:
    """The end of a landline with its extension (``转123``, ``-8001``, ``ext 12``), if one follows."""
    m = _EXTENSION.match(text, end)
    return m.end() if m else end


# --- e-mail ------------------------------------------------------------------------------

# Starts only where a word starts and is at most 64 long: a long run of letters is searched once, not per start.
_LOCAL = r"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9][A-Za-z0-9._%+\-]{0,63}"
_EMAIL = re.compile(rf"{_LOCAL}\s*@\s*[A-Za-z0-9\-]+(?:\s*(?:\.|点)\s*[A-Za-z0-9\-]+)*\s*(?:\.|点)\s*[A-Za-z]{{2,10}}"
                    r"(?![A-Za-z])")
_TLD = r"(?:com|cn|net|org|edu|gov|cc|me|io|top|vip|xyz|info|hk|tw|co)"
_DOT = r"(?:\s*(?:\.|点|\(dot\)|\[dot\]|\{dot\})\s*|\s+(?:dot|DOT)\s+)"
_AT = r"(?:\s*(?:\(at\)|\[at\]|\{at\}|\(AT\)|\[AT\]|艾特|圈a|圈A|#)\s*|\s+(?:at|AT)\s+)"
_EMAIL_SPELLED = re.compile(rf"{_LOCAL}{_AT}[A-Za-z0-9\-]+(?:{_DOT}[A-Za-z0-9\-]+)*{_DOT}{_TLD}"
                            r"(?![A-Za-z])", re.IGNORECASE)


def _emails(view: TextView) -> list[Finding]:
    """E-mail addresses, also spaced (``zhou @ 163.com``) or spelled (``zhou at 163 dot com``)."""
    return [Finding(m.start(), m.end(), "email", 1.0)
            for pattern in (_EMAIL, _EMAIL_SPELLED) for m in pattern.finditer(view.text)]


# --- WeChat and QQ after their cues ----------------------------------------------------------

# Digits after 微信/QQ that are an amount or a count, not an account (微信转了 12000元).
_NOT_ACCOUNT = r"(?!\s*(?:元|块|圆|角|分|积分|多|万|千|次|个|天|小时|分钟|秒|%|人|条|张))"
_FILLER = r"(?:\s|[:=,]|号码|号|账号|帐号|(?i:id)|(?i:is)|是|为|也是|就是|搜|叫)*"
_G = r"[\s\-_.*/]{0,3}"  # what people put between the characters of a cue (微 信, Q.Q, v-x)
_WECHAT_CUE = (rf"(?:[微薇威维徽卫]{_G}[信心星x❤♥]|[vV]{_G}[信心❤♥]|wei{_G}信|加\s*我?\s*[vV](?![A-Za-z])"
               r"|(?<![A-Za-z0-9])[vV](?=\s*[:=])"
               rf"|(?<![A-Za-z])(?:[vVwW]{_G}[xX]|(?i:wei{_G}xin|we{_G}chat))(?![A-Za-z]))")
_WECHAT = re.compile(rf"{_WECHAT_CUE}{_FILLER}(?P<pii>[A-Za-z][A-Za-z0-9_\-]{{5,19}}|[0-9](?:[ \-]?[0-9]){{4,14}})"
                     rf"(?![A-Za-z0-9_\-]){_NOT_ACCOUNT}")
_WXID = re.compile(r"(?<![A-Za-z0-9_])wxid_[A-Za-z0-9_\-]{4,30}")
_QQ_CUE = (rf"(?:(?<![A-Za-z])[Qq]{_G}[Qq](?![A-Za-z])|扣{_G}扣|企鹅号?|球球|"
           r"(?<![A-Za-z])[Qq](?=\s*[:=号]))")
_NONZERO = "1-9" + "".join(ch for ch, d in CHINESE_DIGITS.items() if d != "0")
_QQ = re.compile(rf"{_QQ_CUE}{_FILLER}(?P<pii>[{_NONZERO}](?:{_SEP}{{0,4}}[{_D}]){{4,11}})(?![{_D}]){_NOT_ACCOUNT}")


def _accounts(view: TextView) -> list[Finding]:
    """WeChat ids and QQ numbers named by a cue; the cue itself stays."""
    out = [Finding(*m.span("pii"), "wechat", 0.95) for m in _WECHAT.finditer(view.text)]
    out += [Finding(*m.span(), "wechat", 0.95) for m in _WXID.finditer(view.text)]
    out += [Finding(*m.span("pii"), "qq", 0.95) for m in _QQ.finditer(view.text)]
    return out


# --- licence plates -----------------------------------------------------------------------

_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_PLATE = re.compile(rf"(?<![A-Za-z0-9])[{_PROVINCES}][\s.\-]*[A-Za-z]\s*[.\- ]?\s*"
                    r"(?P<tail>[A-Za-z0-9](?:[ .]?[A-Za-z0-9]){4,5}|[A-Za-z0-9](?:[ .]?[A-Za-z0-9]){3}[挂学警])"
                    r"(?![A-Za-z0-9])")


def _plates(view: TextView) -> list[Finding]:
    """Licence plates: ordinary (``京A12345``), new energy (``粤B·D12345``), with spaces or dots."""
    return [Finding(m.start(), m.end(), "plate", 0.9) for m in _PLATE.finditer(view.text)
            if sum(ch.isdigit() for ch in m.group("tail")) >= 3]


# --- addresses --------------------------------------------------------------------------------

# Characters that end a place name on its left: verbs and particles around an address.
_NOT_PLACE = "我你他她它们的了在住到寄是往送给把从去来被让叫说个这那哪和与及或也就还又很太请帮您址为于向要想发收"
_PLACE_WORD = (rf"[^\s{_NOT_PLACE}\W\d]{{0,8}}?"
               r"(?:省|自治区|市|自治州|地区|盟|区|县|旗|镇|乡|街道|村|社区|路|街|大道|大街|巷|弄|胡同|里|小区|花园"
               r"|家园|新村|公寓|大厦|苑|庭|府|城|园|湾|工业区|开发区|科技园|工业园|段|期)")
_NUM = r"[0-9A-Za-z一二三四五六七八九十百零〇某]{1,5}"
_DETAIL = rf"{_NUM}\s*(?:号院|号楼|号|栋|幢|座|单元|层|楼|室|户|弄|巷|排)"
_BUILDING = rf"{_NUM}\s*(?:号院|号楼|栋|幢|座)"
_INSIDE = rf"{_NUM}\s*(?:单元|层|楼|室|户)"
_ROOM = r"(?:\s*-?\s*[0-9]{2,5}(?:室|房|号)?)?"
# A place name then house details; or, without a place name, a building then a unit/floor/room
# (3栋2单元1801), never two bare 号 (3号4号 are dates).
_ADDRESS = re.compile(
    rf"(?:{_PLACE_WORD}\s*)+(?:(?:{_DETAIL}\s*)+{_ROOM}|{_NUM}\s*[组队](?![长员]))"
    rf"|{_BUILDING}\s*(?:(?:{_INSIDE}\s*)+{_ROOM}|-?\s*[0-9]{{3,5}}(?:室|房|号)?)"
)


def _addresses(view: TextView) -> list[Finding]:
    """Street addresses down to the door: a place name followed by a house detail, or two details."""
    return [Finding(m.start(), len(m.group().rstrip()) + m.start(), "address", 0.7)
            for m in _ADDRESS.finditer(view.text)]


# --- names given with contact details ----------------------------------------------------------

_SURNAMES = ("欧阳|司马|上官|诸葛|东方|皇甫|尉迟|公孙|慕容|令狐|长孙|宇文|司徒|夏侯|"
             "王|李|张|刘|陈|杨|黄|赵|吴|周|徐|孙|马|朱|胡|郭|何|高|林|罗|郑|梁|谢|宋|唐|许|韩|冯|邓|曹|彭|曾|肖|田|"
             "董|袁|潘|于|蒋|蔡|余|杜|叶|程|苏|魏|吕|丁|任|沈|姚|卢|姜|崔|钟|谭|陆|汪|范|金|石|廖|贾|夏|韦|付|方|白|"
             "邹|孟|熊|秦|邱|江|尹|薛|闫|段|雷|侯|龙|史|陶|黎|贺|顾|毛|郝|龚|邵|万|钱|严|覃|武|戴|莫|孔|向|汤|常|温|"
             "康|施|文|牛|樊|葛|邢|安|齐|易|乔|伍|庞|颜|倪|庄|聂|章|鲁|岳|翟|殷|詹|申|欧|耿|关|兰|焦|俞|左|柳|甘|祝|"
             "包|宁|尚|符|舒|阮|柯|纪|梅|童|凌|毕|单|季|裴|霍|涂|成|苗|谷|盛|曲|翁|冉|骆|蓝|路|游|辛|靳|管|柴|蒙|鲍|"
             "华|喻|祁|蒲|房|滕|屈|饶|解|牟|艾|尤|阳|时|穆|农|司|卓|古|吉|缪|简|车|项|连|芦|麦|褚|娄|窦|戚|岑|景|党|"
             "宫|费|卜|冷|晏|席|卫|米|柏|宗|瞿|桂|全|佟|应|臧|闵|苟|邬|边|卞|姬|师|和|仇|栾|隋|商|刁|沙|荣|巫|寇|桑|"
             "郎|甄|丛|仲|虞|敖|巩|明|佘|池|查|麻|苑|迟|邝")
_HONORIFIC = r"(?:先生|女士|小姐|老师|师傅|阿姨|大爷|某某|某)"
_GIVEN = r"[^\s\W\d电手打给找投诉问和跟的了是在想要说联系号码地址住家我你他她来去等人]{1,2}"
# What may follow a name: punctuation, a contact word or the end (我叫车来接 is no name).
_AFTER_NAME = r"(?=\s|[,.!?;:()]|电话|手机|联系|号码|地址|身份证|微信|[Qq]{2}|想|要|$|\d)"
_NAME_CUE = (r"(?:收件人|收货人|联系人|寄件人|取件人|姓名|名字(?:是|叫)?|称呼|我叫|本人叫|机主(?:是|叫)?|户主(?:是|叫)?"
             r"|持卡人|开户人|客户名)")
_NAME = re.compile(rf"{_NAME_CUE}(?:\s|[:=,]|是|为|叫|写的|填的)*(?P<pii>(?:{_SURNAMES})(?:{_HONORIFIC}|{_GIVEN})){_AFTER_NAME}")
# "我是…" names only when a contact detail or punctuation follows (我是王者荣耀的老玩家 stays).
_NAME_WEAK = re.compile(rf"我是\s*(?P<pii>(?:{_SURNAMES})(?:{_HONORIFIC}|{_GIVEN}))"
                        r"(?=\s*(?:[,.!?;]|电话|手机|联系|号码|$))"
                        # 本人陈述 / 本人查询 are no names: after 本人 only with a contact detail next.
                        rf"|本人\s*(?P<own>(?:{_SURNAMES})(?:{_HONORIFIC}|{_GIVEN}))"
                        r"(?=\s*,?\s*(?:电话|手机|身份证|联系|号码|微信|[Qq]{2}|\d))")


# Surname and 先生/女士 right before a mobile number, at the start or after punctuation (王先生 138…).
# Not surname + any characters: 麻烦回电话138… would read as a name (Hypothesis found it).
_NAME_BEFORE_PHONE = re.compile(rf"(?<![^\s,.!?;:()\[\]])(?P<pii>(?:{_SURNAMES}){_HONORIFIC})"
                                r"(?=\s*[,:]?\s*(?:电话|手机|tel|TEL|Tel)?\s*:?\s*(?:\+?86)?[\s\-]*1[3-9])")


def _names(view: TextView) -> list[Finding]:
    """A person's name where the text says it is one (收件人 王某某, 联系人：李女士, 我叫张伟)."""
    return [Finding(*m.span("pii" if m.group("pii") else "own"), "name", 0.8)
            for pattern in (_NAME, _NAME_WEAK, _NAME_BEFORE_PHONE) for m in pattern.finditer(view.text)]


Recognizer = Callable[[TextView], list[Finding]]

#: Every recogniser, by the name of what it finds.
RECOGNIZERS: dict[str, Recognizer] = {
    "numbers": _numbers,
    "email": _emails,
    "accounts": _accounts,
    "plate": _plates,
    "address": _addresses,
    "name": _names,
}


def recognize(view: TextView) -> list[Finding]:
    """Every candidate finding of every recogniser (overlaps are the anonymiser's to resolve)."""
    return [f for recognizer in RECOGNIZERS.values() for f in recognizer(view)]
