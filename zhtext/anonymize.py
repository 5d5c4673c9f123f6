"""The anonymiser: resolves overlapping findings and replaces each with its placeholder.

Separate from the recognisers (as in Presidio): they only say where personal
data may be; this decides which findings win when they overlap (higher
score, then longer) and writes the output. Spans are found in the folded
view and mapped back, so exactly the characters the customer typed are
replaced, zero-width characters inside a number included.
"""
from __future__ import annotations

from zhtext.recognizers import Finding
from zhtext.textview import TextView

__all__ = ["PLACEHOLDERS", "anonymize", "resolve"]

#: The placeholder of each kind of personal data.
PLACEHOLDERS = {
    "email": "[邮箱]",
    "id_card": "[身份证号]",
    "bank_card": "[银行卡号]",
    "mobile": "[手机号]",
    "landline": "[电话]",
    "wechat": "[微信号]",
    "qq": "[QQ号]",
    "address": "[地址]",
    "plate": "[车牌号]",
    "name": "[姓名]",
}

# Outside personal data, full-width digits and the signs around numbers become half-width (as the normaliser would).
_HALF = str.maketrans("０１２３４５６７８９＋－（）＠", "0123456789+-()@")


def resolve(findings: list[Finding]) -> list[Finding]:
    """Non-overlapping findings, in text order: higher score first, then the longer span."""
    kept: list[Finding] = []
    for f in sorted(findings, key=lambda f: (-f.score, f.start - f.end, f.start)):
        if all(f.end <= k.start or f.start >= k.end for k in kept):
            kept.append(f)
    return sorted(kept, key=lambda f: f.start)


def anonymize(view: TextView, findings: list[Finding]) -> str:
    """The original text of ``view`` with each winning finding replaced by its placeholder.

    Args:
        view: The view the findings were found in.
        findings: Candidate findings, possibly overlapping.

    Returns:
        The text with placeholders; elsewhere unchanged but for half-width digits.
    """
    pieces, last = [], 0
    for f in resolve(findings):
        start, end = view.original_span(f.start, f.end)
        pieces += [view.original[last:start].translate(_HALF), PLACEHOLDERS[f.kind]]
        last = end
    pieces.append(view.original[last:].translate(_HALF))
    return "".join(pieces)
