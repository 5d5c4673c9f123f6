"""Response rate per channel (web link, SMS, WeChat): how many surveys went out on each and how many were answered.

Defined once, in SQL, over the same per-survey facts as the KPIs
(``survey_facts``, ``bot.ledger.per_survey.fact_rows``):

* **invited**: surveys of the period's calls sent on the channel (one fact row each);
* **answered**: those with a counted rating (``bot.ledger.counting``: late, corrected and opted-out
  ratings never count), i.e. the fact row's ``rating_id`` is set.

So the channels of a team or of the centre add up exactly to its KPI row's
``invited`` and ``responses``. The channel is the call's (``calls.channel``),
carried on the fact row (``survey_facts.channel``): one GROUP BY over the
period's facts, no join.
"""
from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session

from bot.ledger.per_survey import FACTS as F
from bot.ledger.per_survey import fact_rows
from bot.scoring.kpi import ratio
from bot.scoring.periods import Period, parse_period


@dataclass(frozen=True)
class ChannelRate:
    """One channel's invitations and answers in a period."""

    channel: str
    invited: int
    answered: int

    @property
    def response_rate(self) -> float | None:
        """answered / invited (None without invitations)."""
        return ratio(self.answered, self.invited)

    def to_dict(self) -> dict[str, Any]:
        """Plain, JSON-ready dict."""
        return {"channel": self.channel, "invited": self.invited, "answered": self.answered,
                "response_rate": self.response_rate}


def invited_answered(f) -> tuple[ColumnElement[int], ColumnElement[int]]:
    """The two aggregates over fact rows ``f``: surveys sent (one row each) and those with a counted rating
    (the row names one; NULL otherwise)."""
    return func.count(), func.count(f.c.rating_id)


def channel_rates_query(period: Period, tz: str, team_ids: Collection[int] | None = None) -> Select:
    """``(channel, invited, answered)`` per channel for the calls that ended in ``period`` (optionally of ``team_ids``).

    ``team_ids`` are the calls' teams (``calls.team_id``, the team on the call's date), as the team KPIs count them.
    """
    rows = fact_rows(*period.bounds(tz))
    if team_ids is not None:
        rows = rows.where(F.c.team_id.in_(list(team_ids)))
    f = rows.subquery()
    return select(f.c.channel, *invited_answered(f)).group_by(f.c.channel).order_by(f.c.channel)


def response_by_channel(s: Session, period: Period | str, *, tz: str, team_ids: Collection[int] | None = None
                        ) -> list[ChannelRate]:
    """Invited, answered and the response rate per channel of ``period``: the centre's, or of ``team_ids``' calls.

    Args:
        s: Open session (read only).
        period: A :class:`Period` or its string.
        tz: The centre's time zone.
        team_ids: Only calls of these teams (None: every call, the centre; an empty collection: nothing).

    Returns:
        One entry per channel that had invitations, ordered by channel code.
    """
    p = parse_period(period) if isinstance(period, str) else period
    if team_ids is not None and not team_ids:
        return []
    return [ChannelRate(channel, int(n), int(a)) for channel, n, a in s.execute(channel_rates_query(p, tz, team_ids))]
