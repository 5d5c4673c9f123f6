"""One survey turn: parse the reply, store what it means, decide what to say.

The caller opens the session and commits; the classifier is passed in so the
core does not care whether it is the promoted model or a test model.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.orm import Session

from bot.db.models import Rating, Survey
from bot.dialogue import cues
from bot.dialogue.state import (
    AWAITING_CAUSE_CHOICE,
    AWAITING_CORRECTION,
    AWAITING_REASON,
    AWAITING_SCORE,
    AWAITING_SCORE_CONFIRM,
    DONE,
    DialogueState,
    Outcome,
)
from bot.domain import (
    CLOSED_SURVEY_STATUSES,
    OPEN_SURVEY_STATUSES,
    Attribution,
    FlagKind,
    ReasonSource,
    SurveyStatus,
    choice_by_key,
)
from bot.rating import ParsedReply, parse_reply
from bot.services import surveys
from classifiers import CauseResult

Classify = Callable[[str], CauseResult]

LOW_SCORE_MAX = 3  # scores up to this ask for a reason
CLOSED = CLOSED_SURVEY_STATUSES
OPEN = OPEN_SURVEY_STATUSES
# Causes that contradict a top score when the model is sure of them.
_COMPLAINT_CAUSES = ("company.policy", "company.product", "company.system", "company.network")


def start(s: Session, survey: Survey | None, state: DialogueState, now: datetime, greeting: str) -> Outcome:
    """Open the conversation: greet with the versioned scale statement, or explain why not."""
    if survey is None:
        return Outcome(state).add("utter_survey_not_found")
    if survey.status == SurveyStatus.OPTED_OUT:
        return Outcome(DialogueState(stage=DONE))
    if survey.status in CLOSED:
        return Outcome(DialogueState(stage=DONE)).add("utter_survey_closed")
    if surveys.is_expired(survey, now):
        return Outcome(DialogueState(stage=AWAITING_SCORE)).add("utter_late")
    surveys.set_status(s, survey, SurveyStatus.IN_PROGRESS, now)
    state = DialogueState(stage=AWAITING_SCORE, retries=0)
    return Outcome(state).add(f"utter_greeting_{greeting}")


def handle_reply(
    s: Session,
    survey: Survey | None,
    state: DialogueState,
    text: str,
    now: datetime,
    classify: Classify,
    intent: str | None = None,
    intent_confidence: float = 0.0,
) -> Outcome:
    """Handle one customer message within a survey.

    Args:
        s: Open session; the caller commits.
        survey: The survey of this conversation (None when the token is unknown).
        state: State from the previous turn.
        text: The customer's message as typed.
        now: Time the message arrived (UTC).
        classify: Cause classifier.
        intent: Rasa's intent for the message, a hint for complaint detection only.
        intent_confidence: Rasa's confidence in ``intent``.

    Returns:
        What to say and the next state.
    """
    text = (text or "")[:5000]
    if survey is None:
        return Outcome(state).add("utter_survey_not_found")
    if survey.status == SurveyStatus.OPTED_OUT:
        return Outcome(DialogueState(stage=DONE))  # the customer asked for silence

    parsed = parse_reply(text)
    stage = state.stage or AWAITING_SCORE
    out = Outcome(DialogueState(stage=stage, retries=state.retries, pending_reason=state.pending_reason))

    if surveys.is_expired(survey, now):
        return _late(s, survey, parsed, text, now, out)

    complaint = cues.is_complaint(text, intent, intent_confidence) and parsed.kind != "optout"
    if complaint:
        surveys.flag(s, survey, FlagKind.COMPLAINT, text, now)
        out.add("utter_complaint_ack")

    if parsed.kind == "optout" or parsed.optout:
        return _opt_out(s, survey, parsed, text, now, out, classify)

    if survey.status in CLOSED:
        if parsed.kind == "correction" and survey.status == SurveyStatus.COMPLETED:
            return _correction(s, survey, parsed, text, now, out, classify)
        if not complaint:
            out.add("utter_survey_closed")
        out.state.stage = DONE
        return out

    if parsed.kind == "question":
        out.add("utter_scale_explained")
        return out
    if parsed.kind == "correction":
        return _correction(s, survey, parsed, text, now, out, classify)

    if stage == AWAITING_REASON:
        return _reason(s, survey, text, now, out, classify)
    if stage == AWAITING_CAUSE_CHOICE:
        return _cause_choice(s, survey, text, now, out, classify)
    if stage in (AWAITING_SCORE_CONFIRM, AWAITING_CORRECTION):
        return _confirmed_score(s, survey, parsed, text, now, out, classify)
    return _score(s, survey, parsed, text, now, out, classify, complaint)


# --- features -------------------------------------------------------------

def _late(s, survey, parsed: ParsedReply, text, now, out: Outcome) -> Outcome:
    """After the window: keep what the customer said as late, never for scoring."""
    if parsed.score is not None and survey.status in OPEN:
        surveys.record_rating(s, survey, parsed.score, text, now)
    if survey.status in OPEN:
        opted_out = parsed.kind == "optout" or parsed.optout
        surveys.set_status(s, survey, SurveyStatus.OPTED_OUT if opted_out else SurveyStatus.EXPIRED, now)
    out.state.stage = DONE
    return out.add("utter_late")


def _opt_out(s, survey, parsed: ParsedReply, text, now, out: Outcome, classify: Classify) -> Outcome:
    if parsed.score is not None and survey.status in OPEN:
        rating = surveys.record_rating(s, survey, parsed.score, text, now)
        if parsed.reason and parsed.score <= LOW_SCORE_MAX:
            _store_model_reason(s, rating, parsed.reason, now, classify, force_review=False)
    surveys.set_status(s, survey, SurveyStatus.OPTED_OUT, now)
    out.state = DialogueState(stage=DONE)
    return out.add("utter_optout_ack")


def _score(s, survey, parsed: ParsedReply, text, now, out: Outcome, classify: Classify, complaint: bool) -> Outcome:
    if parsed.score is None:
        if complaint:
            return out.add("utter_reask_score")  # the complaint is not a failed attempt
        contradicted = cues.contradicted_score(text)
        if contradicted is not None:
            score, rest = contradicted
            surveys.record_rating(s, survey, score, text, now)
            surveys.set_status(s, survey, SurveyStatus.IN_PROGRESS, now)
            out.state.stage = AWAITING_SCORE_CONFIRM
            out.state.pending_reason = rest
            return out.add("utter_confirm_score", score=score)
        if out.state.retries >= 1:
            surveys.set_status(s, survey, SurveyStatus.CLOSED_NO_SCORE, now)
            out.state = DialogueState(stage=DONE)
            return out.add("utter_close_no_score")
        out.state.retries += 1
        return out.add("utter_reask_score")

    rating = surveys.record_rating(s, survey, parsed.score, text, now)
    surveys.set_status(s, survey, SurveyStatus.IN_PROGRESS, now)
    out.state.retries = 0
    if parsed.reason:
        result = _classify(classify, parsed.reason)
        if _contradicts(parsed.score, result):
            out.state.stage = AWAITING_SCORE_CONFIRM
            out.state.pending_reason = parsed.reason
            return out.add("utter_confirm_score", score=parsed.score)
        if parsed.score <= LOW_SCORE_MAX:
            return _attribute(s, survey, rating, parsed.reason, result, now, out)
        _store_result(s, rating, parsed.reason, result, now)
    if parsed.score <= LOW_SCORE_MAX:
        out.state.stage = AWAITING_REASON
        return out.add("utter_ask_reason")
    return _complete(s, survey, now, out, "utter_thanks_high")


def _reason(s, survey, text, now, out: Outcome, classify: Classify) -> Outcome:
    rating = surveys.current_rating(s, survey)
    if rating is None:  # state lost (e.g. tracker reset): start over politely
        out.state = DialogueState(stage=AWAITING_SCORE)
        return out.add("utter_reask_score")
    reason_text = text.strip()
    if not reason_text:
        return out.add("utter_ask_reason")
    result = _classify(classify, reason_text)
    if _contradicts(rating.score, result):
        _store_result(s, rating, reason_text, result, now)
        out.state.stage = AWAITING_SCORE_CONFIRM
        return out.add("utter_confirm_score", score=rating.score)
    return _attribute(s, survey, rating, reason_text, result, now, out)


def _attribute(s, survey, rating: Rating, reason_text: str, result: CauseResult, now, out: Outcome) -> Outcome:
    """Store a confident attribution, or ask the customer whose fault it was."""
    if result.needs_confirmation:
        out.state.stage = AWAITING_CAUSE_CHOICE
        out.state.pending_reason = reason_text
        out.state.retries = 0
        return out.add("utter_ask_cause_choice")
    _store_result(s, rating, reason_text, result, now)
    return _complete(s, survey, now, out, "utter_thanks_reason")


def _cause_choice(s, survey, text, now, out: Outcome, classify: Classify) -> Outcome:
    rating = surveys.current_rating(s, survey)
    reason_text = out.state.pending_reason or ""
    if rating is None:
        out.state = DialogueState(stage=AWAITING_SCORE)
        return out.add("utter_reask_score")
    choice = cues.cause_choice(text)
    if choice is None:
        if out.state.retries >= 1:
            # Nobody confirmed the cause: keep the model's reading for an admin,
            # never as an automatic staff attribution.
            _store_model_reason(s, rating, reason_text, now, classify, force_review=True)
            return _complete(s, survey, now, out, "utter_thanks_reason")
        out.state.retries += 1
        return out.add("utter_ask_cause_choice")
    result = _classify(classify, reason_text) if reason_text else None
    option = choice_by_key(choice)
    cause = result.cause if result is not None and result.cause in option.causes else option.default_cause
    surveys.record_reason(
        s, rating, reason_text, cause=cause, attribution=option.attribution, source=ReasonSource.CUSTOMER, now=now,
        confidence=None, model_version=result.model_version if result else None,
        evidence=f"客户选择：{text.strip()[:50]}",
    )
    return _complete(s, survey, now, out, "utter_thanks_reason")


def _confirmed_score(s, survey, parsed: ParsedReply, text, now, out: Outcome, classify: Classify) -> Outcome:
    rating = surveys.current_rating(s, survey)
    if parsed.score is None:
        if out.state.retries >= 1 and rating is not None:
            return _after_score(s, survey, rating, now, out, classify)  # keep what they gave
        out.state.retries += 1
        return out.add("utter_reask_score")
    if rating is None or parsed.score != rating.score:
        rating = surveys.record_rating(s, survey, parsed.score, text, now)
        if out.state.stage == AWAITING_CORRECTION:
            out.add("utter_correction_done", score=parsed.score)
    return _after_score(s, survey, rating, now, out, classify)


def _after_score(s, survey, rating: Rating, now, out: Outcome, classify: Classify) -> Outcome:
    """Continue after a confirmed or corrected score, using a reason given earlier if there is one."""
    out.state.retries = 0
    pending, out.state.pending_reason = out.state.pending_reason, None
    if pending and not rating.reasons:
        result = _classify(classify, pending)
        if rating.score <= LOW_SCORE_MAX:
            return _attribute(s, survey, rating, pending, result, now, out)
        _store_result(s, rating, pending, result, now)
    if rating.score <= LOW_SCORE_MAX and not rating.reasons:
        out.state.stage = AWAITING_REASON
        return out.add("utter_ask_reason")
    return _complete(s, survey, now, out, "utter_thanks_reason" if rating.score <= LOW_SCORE_MAX else "utter_thanks_high")


def _correction(s, survey, parsed: ParsedReply, text, now, out: Outcome, classify: Classify) -> Outcome:
    if parsed.score is None:
        out.state.stage = AWAITING_CORRECTION
        out.state.retries = 0
        return out.add("utter_ask_corrected_score")
    surveys.record_rating(s, survey, parsed.score, text, now)
    out.add("utter_correction_done", score=parsed.score)
    if survey.status == SurveyStatus.COMPLETED:
        out.state = DialogueState(stage=DONE)
        return out
    surveys.set_status(s, survey, SurveyStatus.IN_PROGRESS, now)
    rating = surveys.current_rating(s, survey)
    assert rating is not None, "a score was just recorded"
    return _after_score(s, survey, rating, now, out, classify)


# --- helpers ----------------------------------------------------------------

def _classify(classify: Classify, text: str) -> CauseResult:
    return classify(text)


def _contradicts(score: int, result: CauseResult) -> bool:
    """Scale-direction confusion: a top score with a confident complaint, or a bottom score with praise."""
    if result.needs_confirmation:
        return False
    if score >= 4:
        return result.attribution == Attribution.STAFF or result.cause in _COMPLAINT_CAUSES
    if score <= 2:
        return result.cause == "none"
    return False


def _store_result(s, rating: Rating, text: str, result: CauseResult, now, needs_review: bool = False) -> None:
    surveys.record_reason(
        s, rating, text, cause=result.cause, attribution=result.attribution, source=ReasonSource.MODEL, now=now,
        confidence=result.confidence, model_version=result.model_version, evidence=result.evidence,
        needs_review=needs_review or result.needs_confirmation,
    )


def _store_model_reason(s, rating: Rating, text: str, now, classify: Classify, force_review: bool) -> None:
    result = _classify(classify, text)
    _store_result(s, rating, text, result, now, needs_review=force_review)


def _complete(s, survey, now, out: Outcome, response: str) -> Outcome:
    surveys.set_status(s, survey, SurveyStatus.COMPLETED, now)
    out.state = DialogueState(stage=DONE)
    return out.add(response)
