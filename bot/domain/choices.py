"""The cause-choice question: the options a customer is offered when the model cannot tell whose fault it is.

The titles are what the customer sees on the buttons (``domain.yml``'s
``utter_ask_cause_choice``, checked against this table by a test) and also the
payload, so typing the words works as well as tapping.
"""
from __future__ import annotations

from dataclasses import dataclass

from bot.domain.vocab import Attribution


@dataclass(frozen=True)
class CauseChoice:
    """One option of the cause-choice question.

    Attributes:
        key: Stable name of the option.
        title: Button title shown to the customer.
        causes: Cause codes the option covers; the model's best guess is kept when it is one of them.
        default_cause: Cause stored when the model's guess lies outside ``causes``.
        attribution: Attribution the choice implies.
    """

    key: str
    title: str
    causes: tuple[str, ...]
    default_cause: str
    attribution: Attribution


#: Options in the order they are shown (a typed 1–4 picks by position).
CAUSE_CHOICES: tuple[CauseChoice, ...] = (
    CauseChoice("staff", "客服人员的服务", ("staff.attitude", "staff.competence", "staff.resolution"),
                "staff.resolution", Attribution.STAFF),
    CauseChoice("policy", "公司业务或规定", ("company.policy", "company.product"), "company.policy",
                Attribution.NON_STAFF),
    CauseChoice("network_system", "网络或系统", ("company.network", "company.system"), "company.system",
                Attribution.NON_STAFF),
    CauseChoice("other", "其他", ("customer.other",), "customer.other", Attribution.NON_STAFF),
)

_BY_KEY = {c.key: c for c in CAUSE_CHOICES}
_BY_TITLE = {c.title: c for c in CAUSE_CHOICES}


def choice_by_key(key: str) -> CauseChoice:
    """The option named ``key``; raises ``KeyError`` for an unknown key."""
    return _BY_KEY[key]


def choice_by_title(title: str) -> CauseChoice | None:
    """The option whose button title is exactly ``title``, or None."""
    return _BY_TITLE.get(title)
