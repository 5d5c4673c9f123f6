"""One handler per dialogue stage, chosen from ``STAGES`` by the stage the conversation is in.

A handler runs once the guards (``bot.dialogue.guards``) have let the reply
through. Adding a stage means one handler here and one entry in ``STAGES``.
"""
from __future__ import annotations

import re
from collections.abc import Callable

from bot.dialogue import answers, cues
from bot.dialogue.decisions import (
    LOW_SCORE_MAX,
    after_score,
    attribute,
    classify_reason,
    complete,
    contradicts,
    store_model_reason,
    store_result,
)
from bot.dialogue.state import (
    AWAITING_CAUSE_CHOICE,
    AWAITING_CORRECTION,
    AWAITING_REASON,
    AWAITING_SCORE,
    AWAITING_SCORE_CONFIRM,
    DONE,
    DialogueState,
)
from bot.dialogue.turn import Turn
from bot.domain import ReasonSource, SurveyStatus, choice_by_key

StageHandler = Callable[[Turn], None]


def _start_over(t: Turn) -> None:
    """State lost (e.g. tracker reset) while no score counts: start over politely."""
    t.state = DialogueState(stage=AWAITING_SCORE)
    t.say("utter_reask_score")


# A complaint without a score ("app太难用") is kept as the reason of a low score that
# follows; only words, not a failed score ("3分或4分"), and not an acknowledgement.
_MIN_PENDING_CHARS = 4
_SCORE_LIKE = re.compile(r"[0-9]|分|星")


def _close_without_score(t: Turn) -> None:
    t.set_status(SurveyStatus.CLOSED_NO_SCORE)
    t.state = DialogueState(stage=DONE)
    t.say("utter_close_no_score")


def _confirm(t: Turn, score: int, pending: str | None) -> None:
    """A score its own words contradict: ask which was meant; nothing counts until the customer says."""
    t.set_status(SurveyStatus.IN_PROGRESS)
    t.state.stage = AWAITING_SCORE_CONFIRM
    t.state.pending_reason = pending
    t.state.retries = 0
    t.say("utter_confirm_score", score=score)


def awaiting_score(t: Turn) -> None:
    """Expecting a score, possibly with a reason in the same message."""
    parsed = t.parsed
    if t.counted is not None:
        # A score already counts (the conversation state was lost): a later message
        # never silently replaces it — only a correction does (guard) — so it is the reason.
        if t.counted.score <= LOW_SCORE_MAX and not t.counted.has_reason:
            awaiting_reason(t)
        else:
            complete(t, "utter_thanks_reason" if t.counted.score <= LOW_SCORE_MAX else "utter_thanks_high")
        return
    if parsed.score is None:
        reason = cues.strip_threat(parsed.reason or "") if parsed.kind == "unparseable" else ""
        if len(reason) >= _MIN_PENDING_CHARS and not _SCORE_LIKE.search(reason) and not cues.is_identifier_only(reason):
            t.state.pending_reason = reason
        if t.complaint:
            t.say(answers.reask_response(t.state.retries))  # the complaint is not a failed attempt
            return
        contradicted = cues.contradicted_score(t.text)
        if contradicted is not None:
            _confirm(t, *contradicted)
            return
        if t.state.retries >= 1:
            _close_without_score(t)
            return
        t.say(answers.reask_response(t.state.retries))
        t.state.retries += 1
        return

    t.state.retries = 0
    pending, t.state.pending_reason = t.state.pending_reason, None
    if parsed.reason:
        result = classify_reason(t, parsed.reason)
        if contradicts(parsed.score, result):
            _confirm(t, parsed.score, parsed.reason)
            return
        t.record_parsed_score()
        t.set_status(SurveyStatus.IN_PROGRESS)
        if parsed.score <= LOW_SCORE_MAX:
            attribute(t, parsed.reason, result)
            return
        store_result(t, parsed.reason, result)
    else:
        t.record_parsed_score()
        t.set_status(SurveyStatus.IN_PROGRESS)
        if pending and parsed.score <= LOW_SCORE_MAX:
            attribute(t, pending, classify_reason(t, pending))
            return
    if parsed.score <= LOW_SCORE_MAX:
        t.state.stage = AWAITING_REASON
        t.say("utter_ask_reason")
        return
    complete(t, "utter_thanks_high")


def awaiting_reason(t: Turn) -> None:
    """Expecting the reason for a low score."""
    rating = t.counted
    if rating is None:
        _start_over(t)
        return
    reason_text = t.text.strip()
    if not reason_text or (t.complaint and not cues.strip_threat(reason_text)):
        t.say("utter_ask_reason")  # nothing but a threat: the complaint is flagged, the reason still wanted
        return
    result = classify_reason(t, reason_text)
    if contradicts(rating.score, result):
        store_result(t, reason_text, result)
        t.state.stage = AWAITING_SCORE_CONFIRM
        t.say("utter_confirm_score", score=rating.score)
        return
    attribute(t, reason_text, result)


def awaiting_cause_choice(t: Turn) -> None:
    """Expecting the customer's answer to "whose fault was it?"."""
    reason_text = t.state.pending_reason or ""
    if t.counted is None:
        _start_over(t)
        return
    choice = cues.cause_choice(t.text)
    if choice is None:
        if t.state.retries >= 1:
            # Nobody confirmed the cause: keep the model's reading for an admin,
            # never as an automatic staff attribution.
            store_model_reason(t, reason_text, force_review=True)
            complete(t, "utter_thanks_reason")
            return
        t.state.retries += 1
        t.say("utter_ask_cause_choice")
        return
    result = t.classify(reason_text) if reason_text else None
    option = choice_by_key(choice)
    cause = result.cause if result is not None and result.cause in option.causes else option.default_cause
    t.record_reason(
        reason_text, cause=cause, attribution=option.attribution, source=ReasonSource.CUSTOMER,
        confidence=None, model_version=result.model_version if result else None,
        evidence=f"客户选择：{t.text.strip()[:50]}",
        # The model's guess, kept beside the customer's choice: where they disagree a reviewer looks.
        model_cause=result.cause if result else None, model_confidence=result.confidence if result else None,
    )
    complete(t, "utter_thanks_reason")


def awaiting_score_confirm(t: Turn) -> None:
    """Expecting the score again after a contradiction (or the corrected score after "I got it wrong")."""
    rating = t.counted
    score = t.parsed.score
    if score is None:
        if t.state.retries >= 1:
            if rating is not None:
                after_score(t)  # a score given before the contradiction stands
            else:
                _close_without_score(t)  # an unconfirmed contradicted score never counts
            return
        t.say(answers.reask_response(t.state.retries))
        t.state.retries += 1
        return
    if rating is None or score != rating.score:
        t.record_parsed_score()
        if t.state.stage == AWAITING_CORRECTION:
            t.say("utter_correction_done", score=score)
    after_score(t)


#: The handler of each stage; any other stage (none yet, or an unknown one) expects a score.
STAGES: dict[str, StageHandler] = {
    AWAITING_SCORE: awaiting_score,
    AWAITING_REASON: awaiting_reason,
    AWAITING_CAUSE_CHOICE: awaiting_cause_choice,
    AWAITING_SCORE_CONFIRM: awaiting_score_confirm,
    AWAITING_CORRECTION: awaiting_score_confirm,
}


def handler_for(stage: str) -> StageHandler:
    """The handler of ``stage``."""
    return STAGES.get(stage, awaiting_score)

