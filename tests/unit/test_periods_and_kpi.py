"""Periods in the centre's zone and the KPI arithmetic, with expected values worked out by hand."""
from __future__ import annotations

from datetime import UTC, date, datetime
from fractions import Fraction

import pytest

from bot.scoring.kpi import Change, Counts, competition_ranks, wilson_interval
from bot.scoring.periods import PeriodError, parse_period


@pytest.mark.parametrize(("text", "label", "first", "last", "previous"), [
    ("2026-11", "2026-11", date(2026, 11, 1), date(2026, 11, 30), "2026-10"),
    ("2026-03", "2026-03", date(2026, 3, 1), date(2026, 3, 31), "2026-02"),
    ("2026-01", "2026-01", date(2026, 1, 1), date(2026, 1, 31), "2025-12"),
    ("2026-w47", "2026-W47", date(2026, 11, 16), date(2026, 11, 22), "2026-W46"),
    ("2026-W01", "2026-W01", date(2025, 12, 29), date(2026, 1, 4), "2025-W52"),
    ("2026-11-23", "2026-11-23", date(2026, 11, 23), date(2026, 11, 23), "2026-11-22"),
    (" 2026-11-01..2026-11-10 ", "2026-11-01..2026-11-10", date(2026, 11, 1), date(2026, 11, 10),
     "2026-10-22..2026-10-31"),
])
def test_periods_parse_normalise_and_step_back(text, label, first, last, previous):
    p = parse_period(text)
    assert (p.label, p.first, p.last, p.previous().label) == (label, first, last, previous)


def test_bounds_are_local_midnights_in_utc():
    start, end = parse_period("2026-11").bounds("Asia/Shanghai")
    assert (start, end) == (datetime(2026, 10, 31, 16, tzinfo=UTC), datetime(2026, 11, 30, 16, tzinfo=UTC))
    # New York leaves DST on 2026-11-01: that day lasts 25 hours.
    (_, s1, e1), (_, s2, _) = parse_period("2026-11-01..2026-11-02").day_bounds("America/New_York")
    assert (s1, e1, s2) == (datetime(2026, 11, 1, 4, tzinfo=UTC), datetime(2026, 11, 2, 5, tzinfo=UTC),
                            datetime(2026, 11, 2, 5, tzinfo=UTC))


@pytest.mark.parametrize("bad", ["", "2026-13", "2026-00", "2026-W54", "2026-02-30", "2026/11", "11-2026",
                                 "2026-11-10..2026-11-01", "2026-11..2026-12", "last month"])
def test_bad_periods_are_refused_with_what_is_accepted(bad):
    with pytest.raises(PeriodError, match="expected 2026-11"):
        parse_period(bad)


@pytest.mark.parametrize(("k", "n", "low", "high"), [
    (0, 10, 0.0, 0.2775),    # textbook values, z = 1.96
    (1, 10, 0.0179, 0.4042),
    (5, 10, 0.2366, 0.7634),
    (10, 10, 0.7225, 1.0),
    (4, 13, 0.1268, 0.5763),
])
def test_wilson_interval(k, n, low, high):
    assert wilson_interval(k, n) == pytest.approx((low, high), abs=1e-4)


def test_zero_denominators_give_none_and_counts_add_up():
    empty = Counts()
    assert (empty.response_rate, empty.raw_csat, empty.attributed_csat, empty.staff_low_rate,
            empty.staff_low_rate_ci) == (None, None, None, None, None)
    a = Counts(invited=4, responses=3, satisfied=2, staff_low=1, non_staff_by_cause=(1, 0, 0, 0, 0, 0, 2))
    b = Counts(invited=1, responses=1, satisfied=1, late=2, non_staff_by_cause=(0, 0, 1, 0, 0, 0, 0))
    total = a + b
    assert (total.invited, total.responses, total.satisfied, total.staff_low, total.late) == (5, 4, 3, 1, 2)
    assert total.non_staff_by_cause == (1, 0, 1, 0, 0, 0, 2)
    # neutral only: responses but no attributed figure
    assert Counts(invited=1, responses=1, neutral=1).attributed_csat is None
    change = Change.between("2026-10", a, empty)
    assert (change.responses, change.raw_csat) == (None, None)
    assert Change.between("2026-10", a, b).raw_csat == pytest.approx(2 / 3 - 1)


def test_competition_ranks_share_ties():
    assert competition_ranks({"a": Fraction(9, 10), "b": Fraction(3, 7), "c": Fraction(18, 20), "d": Fraction(1)}
                             ) == {"d": 1, "a": 2, "c": 2, "b": 4}
