"""KPI figures from counts: the ratios, the Wilson interval, the verdict and the change between periods.

Everything here works on counts already aggregated by the database
(``bot.scoring.board``); nothing loops over ratings. A ratio whose
denominator is zero is ``None`` (JSON null), never NaN or an error.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, fields
from fractions import Fraction
from statistics import NormalDist
from typing import Any

from bot.domain import ATTRIBUTION, CAUSES, Attribution

#: Non-staff cause codes, in taxonomy order: the keys of ``non_staff_by_cause``.
NON_STAFF_CODES: tuple[str, ...] = tuple(c for c in CAUSES if ATTRIBUTION[c] == Attribution.NON_STAFF)

#: Two-sided 95 % normal quantile (1.959963984540054).
Z95 = NormalDist().inv_cdf(0.975)

VERDICT_OK = "ok"
VERDICT_INSUFFICIENT = "insufficient"  # shown as 样本不足: figures, no rank, no colour

LEVEL_AGENT, LEVEL_TEAM, LEVEL_CENTRE = "agent", "team", "centre"
CENTRE_ID = "centre"


def ratio(numerator: int, denominator: int) -> float | None:
    """``numerator / denominator``, or None when the denominator is 0."""
    return numerator / denominator if denominator else None


def wilson_interval(successes: int, n: int, z: float = Z95) -> tuple[float, float] | None:
    """Wilson score interval of a proportion ``successes / n``; None when ``n`` is 0.

    ``(p + z²/2n ± z·sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n)``, clipped to [0, 1]
    against rounding.
    """
    if n <= 0:
        return None
    p = successes / n
    z2 = z * z
    centre = p + z2 / (2 * n)
    margin = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    denom = 1 + z2 / n
    return max(0.0, (centre - margin) / denom), min(1.0, (centre + margin) / denom)


@dataclass(frozen=True)
class Counts:
    """The counts one KPI row is computed from; rows add up (agent → team → centre).

    ``non_staff_by_cause`` is aligned with :data:`NON_STAFF_CODES`.
    """

    invited: int = 0
    responses: int = 0
    satisfied: int = 0
    neutral: int = 0
    dissatisfied: int = 0
    staff_low: int = 0
    non_staff_low: int = 0
    unattributed_low: int = 0
    late: int = 0
    corrected: int = 0
    opted_out: int = 0
    appeal_upheld: int = 0
    appeal_open: int = 0  # counted ratings with an appeal waiting for a decision (申诉中); in their bucket meanwhile
    non_staff_by_cause: tuple[int, ...] = (0,) * len(NON_STAFF_CODES)

    def __add__(self, other: Counts) -> Counts:
        values: dict[str, Any] = {}
        for f in fields(self):
            a, b = getattr(self, f.name), getattr(other, f.name)
            values[f.name] = tuple(x + y for x, y in zip(a, b, strict=True)) if isinstance(a, tuple) else a + b
        return Counts(**values)

    def replace(self, **changes: Any) -> Counts:
        """A copy with some counts replaced."""
        return Counts(**{**{f.name: getattr(self, f.name) for f in fields(self)}, **changes})

    # --- figures -------------------------------------------------------------

    @property
    def response_rate(self) -> float | None:
        """responses / invited."""
        return ratio(self.responses, self.invited)

    @property
    def raw_csat(self) -> float | None:
        """satisfied / responses: what a naive system reports."""
        return ratio(self.satisfied, self.responses)

    @property
    def attributed_csat(self) -> float | None:
        """satisfied / (satisfied + staff_low): only what the agent caused counts."""
        return ratio(self.satisfied, self.satisfied + self.staff_low)

    @property
    def attributed_key(self) -> Fraction | None:
        """``attributed_csat`` as an exact fraction, so equal figures tie exactly when ranking."""
        d = self.satisfied + self.staff_low
        return Fraction(self.satisfied, d) if d else None

    @property
    def staff_low_rate(self) -> float | None:
        """staff_low / responses."""
        return ratio(self.staff_low, self.responses)

    @property
    def staff_low_rate_ci(self) -> tuple[float, float] | None:
        """Wilson 95 % interval of ``staff_low_rate``."""
        return wilson_interval(self.staff_low, self.responses)

    def verdict(self, min_sample: int) -> str:
        """``ok`` from ``min_sample`` counted responses on, else ``insufficient``."""
        return VERDICT_OK if self.responses >= min_sample else VERDICT_INSUFFICIENT

    def excluded(self) -> dict[str, int]:
        """Replies and surveys kept out of the figures, by why."""
        return {"late": self.late, "corrected": self.corrected, "opted_out": self.opted_out,
                "appeal_upheld": self.appeal_upheld}

    def by_cause(self) -> dict[str, int]:
        """``non_staff_low`` per non-staff cause code (every code, zeros included)."""
        return dict(zip(NON_STAFF_CODES, self.non_staff_by_cause, strict=True))


def _delta(now: float | int | None, before: float | int | None) -> float | int | None:
    return None if now is None or before is None else now - before


@dataclass(frozen=True)
class Change:
    """Current minus previous figures; a delta is None when either side has no data."""

    period: str
    raw_csat: float | None
    attributed_csat: float | None
    responses: int | None
    response_rate: float | None
    staff_low_rate: float | None

    @classmethod
    def between(cls, period: str, now: Counts, before: Counts) -> Change:
        """The change from ``before`` (previous period ``period``) to ``now``.

        A side without invited surveys has no data, so even the ``responses``
        delta is None then.
        """
        has = now.invited > 0 and before.invited > 0
        return cls(
            period=period,
            raw_csat=_delta(now.raw_csat, before.raw_csat),
            attributed_csat=_delta(now.attributed_csat, before.attributed_csat),
            responses=now.responses - before.responses if has else None,
            response_rate=_delta(now.response_rate, before.response_rate),
            staff_low_rate=_delta(now.staff_low_rate, before.staff_low_rate),
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain dict (``period`` is the previous period's label)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class Kpi:
    """One row of the scoreboard: an agent, a team or the centre for one period.

    Attributes:
        level: ``agent``, ``team`` or ``centre``.
        id: Agent id, team name or ``centre``.
        period: Normalised period label.
        name: Agent's name or team name (None for the centre).
        team: For an agent, the team of their latest call in the period (None otherwise).
        counts: The aggregated counts.
        verdict: ``ok`` or ``insufficient``.
        rank: Rank by attributed CSAT within the team (agents) or among teams; None when not ranked.
        change: Against the previous period of the same length.
    """

    level: str
    id: str
    period: str
    name: str | None
    team: str | None
    counts: Counts
    verdict: str
    rank: int | None
    change: Change

    def to_dict(self) -> dict[str, Any]:
        """The row under the contract's field names (JSON-ready; ``staff_low_rate_ci`` is ``[low, high]``)."""
        c = self.counts
        ci = c.staff_low_rate_ci
        return {
            "level": self.level, "id": self.id, "period": self.period, "name": self.name, "team": self.team,
            "invited": c.invited, "responses": c.responses, "response_rate": c.response_rate,
            "satisfied": c.satisfied, "neutral": c.neutral, "dissatisfied": c.dissatisfied,
            "raw_csat": c.raw_csat,
            "staff_low": c.staff_low, "non_staff_low": c.non_staff_low, "unattributed_low": c.unattributed_low,
            "attributed_csat": c.attributed_csat, "staff_low_rate": c.staff_low_rate,
            "staff_low_rate_ci": list(ci) if ci else None,
            "excluded": c.excluded(), "non_staff_by_cause": c.by_cause(), "appeal_open": c.appeal_open,
            "verdict": self.verdict, "rank": self.rank, "change": self.change.to_dict(),
        }


def competition_ranks(keys: dict[str, Fraction]) -> dict[str, int]:
    """Rank ids by descending value; equal values share a rank (1, 1, 3)."""
    ordered = sorted(keys.values(), reverse=True)
    first: dict[Fraction, int] = {}
    for i, v in enumerate(ordered, start=1):
        first.setdefault(v, i)
    return {k: first[v] for k, v in keys.items()}
