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


@lru_cache(maxsize=1)
def _t2s_triggers() -> frozenset[str] | None:
    """Characters without which t2s cannot change a text.

    A dictionary entry changes text only where its key differs from its value,
    so a text containing none of those key characters converts to itself and the
    (pure-Python, slow) conversion can be skipped. Relies on the internal layout
    of opencc-python-reimplemented; returns ``None`` (always convert) if that
    layout is not what we expect.
    """
    try:
        cc = _t2s()
        if not cc._dict_init_done:  # noqa: SLF001
            cc._init_dict()  # noqa: SLF001

        def walk(x):
            if isinstance(x, list):
                for y in x:
                    yield from walk(y)
            elif isinstance(x, tuple) and isinstance(x[-1], dict):
                yield x[-1]
            else:
                raise TypeError(type(x))

        chars: set[str] = set()
        for d in walk(cc._dict_chain_data):  # noqa: SLF001
            for k, v in d.items():
                if len(k) != len(v):
                    chars.update(k)
                else:
                    chars.update(a for a, b in zip(k, v) if a != b)
        return frozenset(chars) if chars else None
    except Exception:  # pragma: no cover - defensive
        return None


def to_simplified(text: str) -> str:
    """Traditional → Simplified (OpenCC t2s), skipped when nothing can change."""
    triggers = _t2s_triggers()
    if triggers is not None and triggers.isdisjoint(text):
        return text
    return _t2s().convert(text)


_HALFWIDTH = {0x3000: " ", **{code: chr(code - 0xFEE0) for code in range(0xFF01, 0xFF5F)}}


def to_halfwidth(text: str) -> str:
    """Convert full-width ASCII variants (Ｕ+FF01–FF5E) and the ideographic space to half-width."""
    return text.translate(_HALFWIDTH)


def _drop_invisible(text: str) -> str:
    """Drop zero-width (Cf) and control (Cc) characters except newline and tab."""
    if text.isprintable():  # fast path: no Cc/Cf (nor other non-printables) at all
        return text
    return "".join(ch for ch in text if unicodedata.category(ch) not in ("Cf", "Cc") or ch in "\n\t")


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
    text = _drop_invisible(text)
    text = to_simplified(text)
    return _WS.sub(" ", text).strip()
