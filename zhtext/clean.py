"""One text-cleaning rule for every door: control characters never enter storage or an export.

Customer messages, appeal texts, imported cells and staff form fields can carry
NUL and other control characters (pasted from elsewhere, or sent on purpose);
PostgreSQL refuses NUL, openpyxl refuses the C0 controls, and none of them
means anything to a reader.
"""
from __future__ import annotations

import re

# C0 controls (tab U+0009 and newline U+000A handled by the callers' choice), DEL and the C1 controls.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_CONTROL_NO_LINES = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_EXCEL_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def clean_text(text: str, *, multiline: bool) -> str:
    """``text`` without control characters; tab and newline kept only where the field is ``multiline``.

    A carriage return becomes a newline in multi-line fields (``\\r\\n`` → ``\\n``).
    """
    if multiline:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        return _CONTROL.sub("", text)
    return _CONTROL_NO_LINES.sub("", text)


def has_forbidden(text: str, *, multiline: bool = True) -> bool:
    """True when ``text`` holds a character :func:`clean_text` would remove (for fields that refuse instead)."""
    return clean_text(text, multiline=multiline) != text.replace("\r\n", "\n").replace("\r", "\n") if multiline \
        else bool(_CONTROL_NO_LINES.search(text))


def excel_safe(text: str) -> str:
    """Any stored text as an Excel cell may hold it (openpyxl refuses the C0 controls but tab and newlines)."""
    return _EXCEL_ILLEGAL.sub("", text)
