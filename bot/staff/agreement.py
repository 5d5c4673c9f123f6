"""Agreement between reviewers who labelled the same item blind: Cohen's kappa and Gwet's AC1.

Written from the formulas (no kept package fits without pulling pandas in:
``irrCAC`` and ``statsmodels`` both need it). For two raters over ``Q``
categories with joint proportions ``p[k][l]``:

* observed agreement ``po = Σ p[k][k]``;
* Cohen (1960): ``pe = Σ p[k·] p[·k]``, ``κ = (po − pe) / (1 − pe)``;
* Gwet (2008, *Br J Math Stat Psychol* 61:29–48), AC1: ``π_k = (p[k·] + p[·k]) / 2``,
  ``pe = Σ π_k (1 − π_k) / (Q − 1)``, ``AC1 = (po − pe) / (1 − pe)``.

AC1 is shown beside κ because the causes are skewed (most low ratings are
not the agent's fault), where κ collapses although the reviewers agree.
Figures are given overall (11 causes), for the coarse staff / not-staff
decision (the one that moves a KPI) and per cause (that cause against the rest).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.db.review import ReviewLabel
from bot.domain import ATTRIBUTION, CAUSES

Pair = tuple[str, str]


def _proportions(pairs: Sequence[Pair], categories: Sequence[str]):
    n = len(pairs)
    index = {c: i for i, c in enumerate(categories)}
    q = len(categories)
    joint = [[0.0] * q for _ in range(q)]
    for a, b in pairs:
        joint[index[a]][index[b]] += 1 / n
    rows = [sum(joint[k]) for k in range(q)]
    cols = [sum(joint[r][k] for r in range(q)) for k in range(q)]
    po = sum(joint[k][k] for k in range(q))
    return po, rows, cols


def cohen_kappa(pairs: Sequence[Pair], categories: Sequence[str]) -> float | None:
    """Cohen's kappa of two raters' labels (None with no pairs, or when chance agreement is 1)."""
    if not pairs:
        return None
    po, rows, cols = _proportions(pairs, categories)
    pe = sum(r * c for r, c in zip(rows, cols))
    return None if pe >= 1 - 1e-12 else (po - pe) / (1 - pe)


def gwet_ac1(pairs: Sequence[Pair], categories: Sequence[str]) -> float | None:
    """Gwet's AC1 of two raters' labels over ``categories`` (None with no pairs)."""
    if not pairs or len(categories) < 2:
        return None
    po, rows, cols = _proportions(pairs, categories)
    pi = [(r + c) / 2 for r, c in zip(rows, cols)]
    pe = sum(p * (1 - p) for p in pi) / (len(categories) - 1)
    return (po - pe) / (1 - pe)


@dataclass(frozen=True)
class AgreementRow:
    """Agreement on one question over ``n`` doubly labelled items."""

    name: str
    n: int
    observed: float | None
    kappa: float | None
    ac1: float | None


def row(name: str, pairs: Sequence[Pair], categories: Sequence[str]) -> AgreementRow:
    observed = sum(a == b for a, b in pairs) / len(pairs) if pairs else None
    return AgreementRow(name, len(pairs), observed, cohen_kappa(pairs, categories), gwet_ac1(pairs, categories))


def label_pairs(s: Session) -> list[Pair]:
    """The first two causes given to each item labelled by two reviewers (skips are not labels)."""
    firsts: dict[int, list[str]] = {}
    for reason_id, cause in s.execute(select(ReviewLabel.reason_id, ReviewLabel.cause)
                                      .where(ReviewLabel.cause.is_not(None)).order_by(ReviewLabel.id)):
        if cause is not None:
            firsts.setdefault(reason_id, []).append(cause)
    return [(c[0], c[1]) for c in firsts.values() if len(c) >= 2]


def report(pairs: Sequence[Pair]) -> tuple[AgreementRow, AgreementRow, list[AgreementRow]]:
    """Overall (11 causes), staff vs not staff, and per cause (that cause against the rest)."""
    overall = row("all", pairs, CAUSES)
    staff = [("staff" if ATTRIBUTION[a] == "staff" else "other", "staff" if ATTRIBUTION[b] == "staff" else "other")
             for a, b in pairs]
    coarse = row("staff", staff, ("staff", "other"))
    per_cause = []
    for cause in CAUSES:
        binary = [("yes" if a == cause else "no", "yes" if b == cause else "no") for a, b in pairs]
        per_cause.append(row(cause, binary, ("yes", "no")))
    return overall, coarse, per_cause
