"""Text normalisation shared by the rating parser and the cause classifier.

Customers type on phones with full-width digits, Traditional characters and
stray whitespace; every consumer sees the same canonical form.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from opencc import OpenCC

_WS = re.compile(r"\s+")


@lru_cache(maxsize=1)
def _t2s() -> OpenCC:
    # Building the converter loads dictionaries; do it once, lazily.
    return OpenCC("t2s")


def to_halfwidth(text: str) -> str:
    """Convert full-width ASCII variants (Ｕ+FF01–FF5E) and the ideographic space to half-width."""
    out = []
    for ch in text:
        code = ord(ch)
        if code == 0x3000:
            out.append(" ")
        elif 0xFF01 <= code <= 0xFF5E:
            out.append(chr(code - 0xFEE0))
        else:
            out.append(ch)
    return "".join(out)


def normalize(text: str | None) -> str:
    """Return the canonical form of a customer's message.

    Full-width → half-width, Traditional → Simplified, NFKC-safe cleanup,
    whitespace collapsed and trimmed. ``None`` becomes ``""``.

    Args:
        text: Raw message as typed by the customer.

    Returns:
        Normalised text (may be empty).
    """
    if not text:
        return ""
    text = to_halfwidth(str(text))
    # Drop zero-width and control characters that phones and copy-paste insert.
    text = "".join(ch for ch in text if unicodedata.category(ch) not in ("Cf", "Cc") or ch in "\n\t")
    text = _t2s().convert(text)
    return _WS.sub(" ", text).strip()
