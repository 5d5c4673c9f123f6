"""Which response answers what: question topics, re-asks and the closing echo of the recorded score.

Kept apart from the turn logic so the wording rules (mirror the customer's
register, never promise what was not done, close politely)
live in one table the engine consults, and a test can check every name exists
in ``domain.yml``.
"""
from __future__ import annotations

from typing import Any

#: A question instead of a score: answered honestly, each response ends by asking for the score again.
QUESTION_RESPONSES: dict[str, str] = {
    "scale": "utter_scale_explained",
    "genuine": "utter_answer_genuine",  # how to check that the message is really from the company
    "human": "utter_answer_human",  # that this is an automated survey
    "followup": "utter_answer_followup",  # that the request is passed on and flagged
    "language": "utter_answer_language",  # Chinese only, but English scores are understood
}

#: The first re-ask repeats the scale in other words; the second explains what is being rated.
REASK_RESPONSES: tuple[str, ...] = ("utter_reask_score", "utter_reask_score_again")


def question_response(topic: str | None) -> str:
    """The response answering a question of ``topic`` (the scale explanation when unknown)."""
    return QUESTION_RESPONSES.get(topic or "scale", QUESTION_RESPONSES["scale"])


def reask_response(attempt: int) -> str:
    """The re-ask for the ``attempt``-th unclear answer (0 = first), never the same wording twice in a row."""
    return REASK_RESPONSES[min(attempt, len(REASK_RESPONSES) - 1)]


def closing_responses(response: str, score: int, inferred: bool) -> list[tuple[str, dict[str, Any]]]:
    """The closing message echoing the recorded score ("已记录：3分").

    ``response`` is ``utter_thanks_high`` or ``utter_thanks_reason``. A score
    read from words alone ("满意") is echoed with an offer to correct it, so a
    misreading can be put right at once.
    """
    said: list[tuple[str, dict[str, Any]]] = [(response, {"score": score})]
    if inferred:
        said.append(("utter_offer_correction", {}))
    return said
