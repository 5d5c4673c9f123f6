"""One text-cleaning rule for every door: control characters out, before anything is stored.

Customer chat messages, appeal texts, imported rows and every staff form
field go through :func:`clean_text` (or are refused with
:data:`REFUSAL_MESSAGE` when :func:`has_forbidden` says so): NUL and the
other C0 controls (U+0000–U+001F), DEL (U+007F) and the C1 controls
(U+0080–U+009F) are never kept; tab and line feed only in multi-line fields.
PostgreSQL refuses NUL in text, terminals and log viewers obey escape
sequences, and openpyxl refuses most of these characters in a cell.

:func:`excel_safe` is the last step before a value goes into an Excel cell:
it also covers text stored before this rule existed, and keeps a text that
starts with ``=`` from being written as a formula.
"""
from __future__ import annotations

import re

__all__ = ["REFUSAL_MESSAGE", "clean_text", "excel_safe", "forbidden_characters", "has_forbidden"]

#: What a customer or staff member is told when a text is refused for its control characters.
REFUSAL_MESSAGE = "内容中含有无法显示的控制字符，请删除后重新提交。"

_CONTROLS = "\x00-\x1f\x7f-\x9f"
_FORBIDDEN_SINGLE = re.compile(f"[{_CONTROLS}]")
_FORBIDDEN_MULTI = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # tab (09) and line feed (0a) allowed
_LINE_BREAK = re.compile("\r\n?")
_BLANK_IN_LINE = re.compile("[\t\n\r]+")
# openpyxl.cell.cell.ILLEGAL_CHARACTERS_RE, plus DEL and C1 controls (nothing a reader wants in a cell).
_EXCEL_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_EXCEL_MAX = 32767  # characters in one cell


def clean_text(text: str | None, *, multiline: bool) -> str:
    """The text with every control character removed.

    Args:
        text: Text from any door; ``None`` becomes ``""``.
        multiline: ``True`` for fields that may hold several lines (appeal
            text, notes): tab and line feed stay, ``\\r\\n`` and ``\\r`` become
            ``\\n``. ``False`` (chat messages, names, one-line fields): tab and
            line breaks become one space, so words either side stay apart.

    Returns:
        The cleaned text (not stripped: that is the caller's choice).
    """
    if not text:
        return ""
    if multiline:
        return _FORBIDDEN_MULTI.sub("", _LINE_BREAK.sub("\n", text))
    return _FORBIDDEN_SINGLE.sub("", _BLANK_IN_LINE.sub(" ", text))


def forbidden_characters(text: str | None, *, multiline: bool = False) -> list[str]:
    """The control characters of ``text`` that :func:`clean_text` would remove, as ``U+XXXX`` (for logs).

    ``\\r`` of a line break counts as allowed in multi-line text (it becomes ``\\n``).
    """
    if not text:
        return []
    if multiline:
        text = _LINE_BREAK.sub("\n", text)
        pattern = _FORBIDDEN_MULTI
    else:
        pattern = _FORBIDDEN_SINGLE
    return sorted({f"U+{ord(ch):04X}" for ch in pattern.findall(text)})


def has_forbidden(text: str | None, *, multiline: bool = False) -> bool:
    """Whether ``text`` holds a character that the door should refuse (answer with :data:`REFUSAL_MESSAGE`)."""
    return bool(forbidden_characters(text, multiline=multiline))


def excel_safe(text: str | None) -> str | None:
    """A stored text made safe to assign to an openpyxl cell.

    Removes the characters openpyxl refuses (``IllegalCharacterError``) and
    the other controls but tab and line breaks, prefixes ``'`` to a text
    that starts with ``=`` (openpyxl would store it as a formula) and cuts
    it to Excel's 32,767 characters per cell.

    Args:
        text: Any stored text; ``None`` stays ``None`` (an empty cell).

    Returns:
        The text for the cell.
    """
    if text is None:
        return None
    text = _EXCEL_ILLEGAL.sub("", str(text))
    if len(text) > 1 and text.startswith("="):
        text = "'" + text
    return text[:_EXCEL_MAX]
