"""The escalation levels of complaint cases as configured (``FEEDBACKBOT_CASE_LEVELS``): names and hours to answer.

Vocabulary the settings validate at start-up and ``bot.cases`` routes by.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta


class PolicyError(ValueError):
    """The level setting cannot be read (the message says how to write it)."""


@dataclass(frozen=True)
class Level:
    """One level of the escalation chain."""

    name: str
    hours: int

    @property
    def window(self) -> timedelta:
        """Time the level's handler has to answer."""
        return timedelta(hours=self.hours)


def parse_levels(text: str) -> tuple[Level, ...]:
    """Levels from ``"班组长=24,中心经理=48,投诉/质检办=72"`` (at least two, hours > 0).

    Raises:
        PolicyError: With an English message naming the bad part.
    """
    levels = []
    for part in (p.strip() for p in text.replace("，", ",").split(",") if p.strip()):
        name, sep, hours = part.rpartition("=")
        if not sep or not name.strip() or not hours.strip().isdigit() or int(hours) <= 0:
            raise PolicyError(f"FEEDBACKBOT_CASE_LEVELS: {part!r} is not NAME=HOURS with HOURS a positive integer")
        levels.append(Level(name.strip(), int(hours)))
    if len(levels) < 2:
        raise PolicyError("FEEDBACKBOT_CASE_LEVELS: give at least two levels (the team's supervisor, then above)")
    return tuple(levels)
