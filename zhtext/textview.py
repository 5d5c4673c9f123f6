"""A folded view of a text in which personal data is searched, with offsets back to the text.

Customers (and probes) write numbers with any separator: two spaces, an
ideographic space, a no-break space, a zero-width space, a full-width comma,
a spaced hyphen, dots or slashes, full-width digits. Recognisers should not
have to know every one of them, so they search a *view* of the text:

* format characters (Unicode category ``Cf``: zero-width space/joiners, BOM,
  soft hyphen, direction marks) and combining marks (``Mn``/``Me``: variation
  selectors, the keycap of ``1️⃣``) are dropped;
* every Unicode space and line/paragraph separator (``Zs``, ``Zl``, ``Zp``),
  the tab and blank-looking letters (Hangul fillers, braille blank) become ``" "``;
* full-width ASCII (U+FF01–U+FF5E) becomes ASCII, and every other digit
  form (circled, superscript, mathematical, Arabic-Indic…) its ASCII digit;
* Chinese and typographic punctuation that people put between digit groups
  folds to one ASCII character (``，、`` → ``,``; ``。·・•`` → ``.``; every dash
  → ``-``; ``／`` → ``/``; ``（）`` → ``()``; ``：`` → ``:``).

Every kept character maps to exactly one view character, so a span of the
view maps back to a span of the original text (:meth:`TextView.original_span`):
the anonymiser removes exactly the characters the customer typed, including
zero-width characters inside the span.
"""
from __future__ import annotations

import sys
import unicodedata
from dataclasses import dataclass

__all__ = ["TextView", "view_of"]


def _fold_table() -> dict[int, str | None]:
    """The ``str.translate`` table of the view (built once, over the Basic Multilingual Plane)."""
    table: dict[int, str | None] = {}
    for code in range(sys.maxunicode if sys.maxunicode < 0x10000 else 0x10000):
        category = unicodedata.category(chr(code))
        if category in ("Cf", "Mn", "Me"):  # format characters, combining marks (variation selectors, keycaps)
            table[code] = None
        elif category in ("Zs", "Zl", "Zp") and code != 0x20:
            table[code] = " "
        elif code > 0x7F and unicodedata.digit(chr(code), None) is not None:
            table[code] = str(unicodedata.digit(chr(code)))  # ① ² ٣ ३ …: any digit form reads as its digit
    for code in range(0xFF01, 0xFF5F):
        table[code] = chr(code - 0xFEE0)
    # The tab and blank-looking letters (Hangul fillers, braille blank) are spaces; punctuation folds.
    for chars, folded in (("\t\u115f\u1160\u3164\uffa0\u2800", " "), ("，、﹐﹑", ","), ("。｡·・•‧∙⋅", "."),
                          ("‐‑‒–—―−﹣﹘⁃", "-"), ("⁄∕", "/"), ("﹙", "("), ("﹚", ")"), ("﹕", ":"),
                          ("﹫", "@"), ("【〔［", "["), ("】〕］", "]")):
        for ch in chars:
            table[ord(ch)] = folded
    for code in (0xE0001, *range(0xE0020, 0xE0080)):  # language tags: format characters outside the BMP
        table[code] = None
    for code in range(0x1D7CE, 0x1D800):  # mathematical bold, double-struck, sans-serif, monospace digits
        table[code] = str((code - 0x1D7CE) % 10)
    return table


_FOLD = _fold_table()


@dataclass(frozen=True, slots=True)
class TextView:
    """The folded text and, for each of its characters, the index of the original character.

    Attributes:
        original: The text as given.
        text: The folded view searched by the recognisers.
        offsets: ``offsets[i]`` is the index in ``original`` of ``text[i]``;
            ``None`` when nothing was dropped (then the index is ``i``).
    """

    original: str
    text: str
    offsets: tuple[int, ...] | None

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """The span of ``original`` covered by the view span ``[start, end)`` (``end > start``).

        Combining marks right after the span belong to its last character (the keycap of ``3️⃣``).
        """
        if self.offsets is not None:
            start, end = self.offsets[start], self.offsets[end - 1] + 1
        while end < len(self.original) and unicodedata.category(self.original[end]) in ("Mn", "Me"):
            end += 1
        return start, end


def view_of(text: str) -> TextView:
    """Fold ``text`` into its search view.

    Args:
        text: Any text.

    Returns:
        The view with its offsets back into ``text``.
    """
    folded = text.translate(_FOLD)
    if len(folded) == len(text):  # nothing dropped: one character for one, positions are equal
        return TextView(text, folded, None)
    offsets = tuple(i for i, ch in enumerate(text) if _FOLD.get(ord(ch), "") is not None)
    return TextView(text, folded, offsets)
