"""The erasure page's tables: what is held per kind (counts only) and what Rasa's tracker store said."""
from __future__ import annotations

from dataclasses import dataclass

from bot.privacy.erasure import Found
from bot.privacy.tracker import TrackerOutcome
from bot.web import messages


@dataclass(frozen=True)
class KindRow:
    """One kind of personal data and how many rows of it there are (never the content)."""

    name: str
    count: int


def kind_rows(found: Found) -> list[KindRow]:
    """The counts of ``found`` under their Chinese names, in the page's order."""
    return [KindRow(name, found.counts.get(kind, 0)) for kind, name in messages.PRIVACY_KIND_NAMES.items()]


def tracker_message(outcome: TrackerOutcome) -> tuple[str, bool]:
    """What the tracker store's outcome means for the admin, and whether it is a success."""
    texts = messages.PRIVACY_TRACKER
    if outcome.way == "error":
        return texts["error"].format(error=outcome.error), False
    if outcome.way == "none" and not outcome.ok:
        return texts["none"], False
    if not outcome.ok:
        return texts["left"].format(way=outcome.way), False
    if not outcome.conversations:
        return texts["empty"], True
    return texts[outcome.way].format(events=outcome.events, conversations=outcome.conversations), True
