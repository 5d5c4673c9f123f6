"""The panel's tally: a strict majority on one option (reject, or uphold with one cause); all in without one is split."""
from __future__ import annotations

import pytest

from bot.db.staff import AppealPanelist
from bot.staff.appeal_panel import tally


def seats(*votes):
    return [AppealPanelist(reviewer_id=f"R{i}", vote=v, cause=c) for i, (v, c) in enumerate(votes)]


@pytest.mark.parametrize(("votes", "outcome", "split"), [
    ([("uphold", "company.policy"), ("uphold", "company.policy"), (None, None)], (True, "company.policy"), False),
    ([("reject", None), ("reject", None), (None, None)], (False, None), False),
    ([("uphold", "company.policy"), ("reject", None), (None, None)], None, False),  # 1-1, one vote to come
    ([("uphold", "company.policy"), ("uphold", "company.system"), ("reject", None)], None, True),  # 1-1-1
    ([("uphold", "company.policy"), ("uphold", "company.policy"), ("reject", None), ("reject", None)], None, True),
    ([("uphold", "none"), ("uphold", "none"), ("uphold", "company.policy"), ("reject", None), ("reject", None)],
     None, True),  # 2 of 5 is no majority
])
def test_tally(votes, outcome, split):
    result = tally(seats(*votes))
    assert (result.outcome, result.split) == (outcome, split)
