"""Formatting helpers of the staff pages: percentages, local times, evidence highlighted in a reason."""
from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from markupsafe import Markup, escape

_EVIDENCE_SPLIT = re.compile(r"[\s,，、;；|/]+")


def highlight(text: str | None, evidence: str | None) -> Markup:
    """``text`` escaped, with every evidence phrase found in it wrapped in ``<mark>`` (escape first, then wrap)."""
    safe = str(escape(text or ""))
    words = sorted({str(escape(w)) for w in _EVIDENCE_SPLIT.split(evidence or "") if w.strip()}, key=len,
                   reverse=True)
    words = [w for w in words if w in safe]
    if words:
        pattern = re.compile("|".join(re.escape(w) for w in words))
        safe = pattern.sub(lambda m: f"<mark>{m.group(0)}</mark>", safe)
    return Markup(safe)  # noqa: S704 - built from escaped text and fixed tags only


def pct(value: float | None, digits: int = 1) -> str:
    """A ratio as a percentage ("—" when there is none)."""
    return "—" if value is None else f"{value * 100:.{digits}f}%"


def signed_pct(value: float | None) -> str:
    """A change of a ratio in percentage points, with its sign ("—" when there is none)."""
    return "—" if value is None else f"{value * 100:+.1f} 个百分点"


def local_time(value: datetime, tz: str) -> str:
    """A UTC instant in the centre's zone (``2026-11-23 14:05``)."""
    if value.tzinfo is None:  # SQLite gives back naive UTC
        value = value.replace(tzinfo=UTC)
    return value.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M")
