"""The configured case levels (``FEEDBACKBOT_CASE_LEVELS``): who answers a case, and within how many hours."""
from __future__ import annotations

from bot.domain.case_levels import Level, PolicyError, parse_levels
from bot.settings import Settings

__all__ = ["Level", "PolicyError", "levels_of", "parse_levels"]


def levels_of(settings: Settings) -> tuple[Level, ...]:
    """The levels the settings configure."""
    return parse_levels(settings.case_levels)
