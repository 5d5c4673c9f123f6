"""Decisions shared by the guards and the stage handlers: storing reasons, attributing, completing.

Each function updates the ``Turn`` (effects, responses, next state) and
returns nothing; the turn's own view of the counted rating keeps later
decisions in the same turn consistent.
"""
from __future__ import annotations

import re

from bot.dialogue import answers, cues
from bot.dialogue.state import AWAITING_CAUSE_CHOICE, AWAITING_CORRECTION, AWAITING_REASON, DONE, DialogueState
from bot.dialogue.turn import Turn
from bot.domain import OPEN_SURVEY_STATUSES, Attribution, ReasonSource, SurveyStatus
from classifiers import CauseResult

LOW_SCORE_MAX = 3  # scores up to this ask for a reason
_MIN_STRIPPED_CHARS = 4  # a reason cut to less than this ("客服") is classified whole
# Causes that contradict a top score when the model is sure of them.
_COMPLAINT_CAUSES = ("company.policy", "company.product", "company.system", "company.network")


def contradicts(score: int, result: CauseResult) -> bool:
    """Scale-direction confusion: a top score with a confident complaint, or a bottom score with praise."""
    if result.needs_confirmation:
        return False
    if score >= 4:
        return result.attribution == Attribution.STAFF or result.cause in _COMPLAINT_CAUSES
    if score <= 2:
        return result.cause == "none"
    return False


def store_result(t: Turn, text: str, result: CauseResult, needs_review: bool = False) -> None:
    """Keep the model's reading of ``text`` as the counted rating's reason."""
    t.record_reason(
        text, cause=result.cause, attribution=result.attribution, source=ReasonSource.MODEL,
        confidence=result.confidence, model_version=result.model_version, evidence=result.evidence,
        needs_review=needs_review or result.needs_confirmation,
    )


def classify_reason(t: Turn, text: str) -> CauseResult:
    """The model's reading of a reason, made without any threat wording ("…我就去银保监投诉").

    The threat is a complaint (flagged by the guard), not the cause; what went
    wrong is what precedes or follows it. A reason that is only a threat is read as it is.
    """
    stripped = cues.strip_threat(text)
    return t.classify(stripped if len(re.sub(r"\W", "", stripped)) >= _MIN_STRIPPED_CHARS else text)


def store_model_reason(t: Turn, text: str, force_review: bool) -> None:
    """Classify ``text`` and keep the result (for review when ``force_review``)."""
    store_result(t, text, classify_reason(t, text), needs_review=force_review)


def complete(t: Turn, response: str) -> None:
    """The survey is done: mark it completed and thank the customer, echoing the recorded score."""
    t.set_status(SurveyStatus.COMPLETED)
    t.state = DialogueState(stage=DONE)
    if t.counted is None:
        t.say(response)
        return
    for name, variables in answers.closing_responses(response, t.counted.score,
                                                     t.counted.new and t.counted.inferred):
        t.say(name, **variables)


def attribute(t: Turn, reason_text: str, result: CauseResult) -> None:
    """Store a confident attribution, or ask the customer whose fault it was."""
    if result.needs_confirmation:
        t.state.stage = AWAITING_CAUSE_CHOICE
        t.state.pending_reason = reason_text
        t.state.retries = 0
        t.say("utter_ask_cause_choice")
        return
    store_result(t, reason_text, result)
    complete(t, "utter_thanks_reason")


def after_score(t: Turn) -> None:
    """Continue after a confirmed or corrected score, using a reason given earlier if there is one."""
    rating = t.counted_rating()
    t.state.retries = 0
    pending, t.state.pending_reason = t.state.pending_reason, None
    if pending and not rating.has_reason:
        result = classify_reason(t, pending)
        if rating.score <= LOW_SCORE_MAX:
            attribute(t, pending, result)
            return
        store_result(t, pending, result)
        rating = t.counted_rating()  # now with its reason
    low = rating.score <= LOW_SCORE_MAX
    if low and not rating.has_reason:
        t.state.stage = AWAITING_REASON
        t.say("utter_ask_reason")
        return
    complete(t, "utter_thanks_reason" if low else "utter_thanks_high")


def late(t: Turn) -> None:
    """After the window: keep what the customer said as late, never for scoring."""
    if t.parsed.score is not None and t.status in OPEN_SURVEY_STATUSES:
        t.record_rating(t.parsed.score, t.text)
    if t.status in OPEN_SURVEY_STATUSES:
        opted_out = t.parsed.kind == "optout" or t.parsed.optout
        t.set_status(SurveyStatus.OPTED_OUT if opted_out else SurveyStatus.EXPIRED)
    t.state.stage = DONE
    t.say("utter_late")


def opt_out(t: Turn) -> None:
    """The customer asked for no more surveys: a score given with the request is a rating, then stop.

    The reason given with it is classified whatever the score ("5分 评价短信天天发烦死了 退订"
    is a survey.issue), and the opt-out is honoured all the same.
    """
    score = t.parsed.score
    if score is not None and t.status in OPEN_SURVEY_STATUSES:
        t.record_parsed_score()
        if t.parsed.reason:
            store_model_reason(t, t.parsed.reason, force_review=False)
    t.set_status(SurveyStatus.OPTED_OUT)
    t.state = DialogueState(stage=DONE)
    t.say("utter_optout_ack")


def correction(t: Turn) -> None:
    """The customer corrects their score (during the survey or after completing it)."""
    score = t.parsed.score
    if score is None:
        t.state.stage = AWAITING_CORRECTION
        t.state.retries = 0
        t.say("utter_ask_corrected_score")
        return
    t.record_parsed_score()
    t.say("utter_correction_done", score=score)
    if t.status == SurveyStatus.COMPLETED:
        t.state = DialogueState(stage=DONE)
        return
    t.set_status(SurveyStatus.IN_PROGRESS)
    if t.parsed.reason and not t.state.pending_reason and score <= LOW_SCORE_MAX:
        # The reason given with a corrected low score ("撤回3分，给1分，客服态度很差") is the new score's reason.
        t.state.pending_reason = t.parsed.reason
    after_score(t)
