"""Cohen's kappa and Gwet's AC1 (bot.staff.agreement) against published and hand-computed figures.

Published: the worked examples of the English Wikipedia article "Cohen's kappa"
(50 proposals: 20 yes/yes, 5 yes/no, 10 no/yes, 15 no/no → κ = 0.4; and its two
"same agreement, different marginals" tables with κ = 0.1304 and 0.2593).
AC1 by hand from Gwet (2008), Br J Math Stat Psychol 61:29–48, eq. for two raters:
π_k = (p_k· + p_·k)/2, pe = Σ π_k(1 − π_k)/(Q − 1).
"""
from __future__ import annotations

import pytest

from bot.staff.agreement import cohen_kappa, gwet_ac1, report

YN = ("yes", "no")


def table(yy: int, yn: int, ny: int, nn: int) -> list[tuple[str, str]]:
    return [("yes", "yes")] * yy + [("yes", "no")] * yn + [("no", "yes")] * ny + [("no", "no")] * nn


def test_kappa_matches_the_published_examples():
    assert cohen_kappa(table(20, 5, 10, 15), YN) == pytest.approx(0.4)
    assert cohen_kappa(table(45, 15, 25, 15), YN) == pytest.approx(0.1304, abs=5e-5)
    assert cohen_kappa(table(25, 35, 5, 35), YN) == pytest.approx(0.2593, abs=5e-5)


def test_ac1_by_hand():
    # po = .7; π_yes = (.5 + .6)/2 = .55; pe = 2 × .55 × .45 = .495; (.7 − .495)/.505
    assert gwet_ac1(table(20, 5, 10, 15), YN) == pytest.approx(0.205 / 0.505)
    # The paradox: 90 % agreement on a skewed label. κ = (.9 − .905)/.095 < 0; AC1 = (.9 − .095)/.905
    assert cohen_kappa(table(90, 5, 5, 0), YN) == pytest.approx(-0.005 / 0.095)
    assert gwet_ac1(table(90, 5, 5, 0), YN) == pytest.approx(0.805 / 0.905)


def test_three_categories_and_the_report_rows():
    pairs = [("company.policy", "company.policy"), ("company.policy", "company.policy"),
             ("staff.attitude", "staff.attitude"), ("company.policy", "staff.attitude")]
    cats = ("company.policy", "staff.attitude", "none")
    # po = .75; rater 1: .75/.25/0, rater 2: .5/.5/0 → pe = .375 + .125 = .5 → κ = .5
    assert cohen_kappa(pairs, cats) == pytest.approx(0.5)
    # π = .625/.375/0; pe = (.234375 + .234375 + 0)/2 = .234375; AC1 = (.75 − .234375)/.765625
    assert gwet_ac1(pairs, cats) == pytest.approx(0.515625 / 0.765625)
    overall, coarse, per_cause = report(pairs)
    assert (overall.n, overall.observed, overall.kappa) == (4, 0.75, pytest.approx(0.5))
    # Staff vs not: the same table as the three categories (policy = other).
    assert (coarse.kappa, coarse.ac1) == (pytest.approx(0.5), pytest.approx((0.75 - 0.46875) / 0.53125))
    none = next(r for r in per_cause if r.name == "none")
    assert (none.observed, none.kappa) == (1.0, None)  # nobody used it: chance agreement is 1, κ undefined


def test_no_pairs_gives_no_figures():
    overall, _, _ = report([])
    assert (overall.n, overall.observed, overall.kappa, overall.ac1) == (0, None, None, None)
