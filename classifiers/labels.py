"""Cause codes and their attribution (the contract from docs/cause-taxonomy.md).

Kept free of heavy imports: the bot imports it on every start.
"""
from __future__ import annotations

from types import MappingProxyType

#: The 11 cause codes, in taxonomy order.
CAUSES: tuple[str, ...] = (
    "staff.attitude",
    "staff.competence",
    "staff.resolution",
    "company.policy",
    "company.product",
    "company.system",
    "company.network",
    "survey.issue",
    "customer.misreply",
    "customer.other",
    "none",
)

#: Cause code → coarse attribution used by scoring.
ATTRIBUTION = MappingProxyType(
    {c: ("staff" if c.startswith("staff.") else "none" if c == "none" else "non_staff") for c in CAUSES}
)

#: Label used in the training data for texts that do not say whose fault it is.
#: The model learns it as a 12th class; it is never returned as a cause.
UNCLEAR = "unclear"

#: All training labels (11 causes + unclear).
LABELS: tuple[str, ...] = CAUSES + (UNCLEAR,)

STAFF_CAUSES: tuple[str, ...] = tuple(c for c in CAUSES if ATTRIBUTION[c] == "staff")
NON_STAFF_CAUSES: tuple[str, ...] = tuple(c for c in CAUSES if ATTRIBUTION[c] != "staff")


def gold_attribution(label: str) -> str:
    """Attribution of a gold label; ``unclear`` maps to ``"unclear"``."""
    return UNCLEAR if label == UNCLEAR else ATTRIBUTION[label]
