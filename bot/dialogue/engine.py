"""One survey turn, decided without a database: what to store, what to say, the next state.

The engine gets an immutable snapshot of the survey (``SurveyView``), the
state from the previous turn, the text, the time and a classifier, and
returns a ``TurnDecision``: effects (``bot.dialogue.effects``) for
``bot.conversation.turns`` to apply in order, the responses and the next state.
Guards (``bot.dialogue.guards``) run first, in order; then the handler of the
current stage (``bot.dialogue.stages``).
"""
from __future__ import annotations

from datetime import datetime

from bot.dialogue import cues
from bot.dialogue.decisions import store_model_reason
from bot.dialogue.effects import OptBackIn, status_change
from bot.dialogue.guards import GUARDS
from bot.dialogue.stages import handler_for
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
from bot.dialogue.turn import Classify, SurveyView, Turn, TurnDecision
from bot.domain import CLOSED_SURVEY_STATUSES, OPEN_SURVEY_STATUSES, SurveyStatus
from bot.rating import parse_reply

MAX_TEXT = 5000  # longer replies are cut before parsing and storage
# Opening a conversation already under way (a reload) asks its open question again, state unchanged.
_RESUME = {
    AWAITING_REASON: "utter_ask_reason",
    AWAITING_CAUSE_CHOICE: "utter_ask_cause_choice",
    AWAITING_SCORE_CONFIRM: "utter_reask_score",
    AWAITING_CORRECTION: "utter_ask_corrected_score",
}


def _settled(survey: SurveyView | None, state: DialogueState, text: str | None = None) -> TurnDecision | None:
    """Unknown survey, or a customer who asked for silence: nothing to store but an explicit opt-in.

    An opted-out customer gets no answer to anything (they asked for silence)
    except a request to receive surveys again ("重新订阅"), which takes their
    channel off the opt-out list; the survey itself stays closed.
    """
    if survey is None:
        return TurnDecision((), Outcome(state).add("utter_survey_not_found"))
    if survey.status == SurveyStatus.OPTED_OUT:
        done = Outcome(DialogueState(stage=DONE), status=survey.status)
        if text is not None and cues.is_opt_in(text):
            return TurnDecision((OptBackIn(),), done.add("utter_opted_back_in"))
        return TurnDecision((), done)
    return None


def start(survey: SurveyView | None, state: DialogueState, now: datetime, greeting: str) -> TurnDecision:
    """Open the conversation: greet with the versioned scale statement, or explain why not.

    Args:
        survey: Snapshot of the survey (None when the token is unknown).
        state: The survey's dialogue state (kept on its row).
        now: Time the chat was opened (UTC).
        greeting: Version of the greeting to show.

    Returns:
        The decision; within the window it marks the survey in progress.
    """
    settled = _settled(survey, state)
    if settled is not None:
        return settled
    assert survey is not None
    if survey.status in CLOSED_SURVEY_STATUSES:
        return TurnDecision((), Outcome(DialogueState(stage=DONE), status=survey.status).add("utter_survey_closed"))
    if survey.expired(now):
        return TurnDecision((), Outcome(DialogueState(stage=AWAITING_SCORE), status=survey.status).add("utter_late"))
    if survey.status == SurveyStatus.IN_PROGRESS and state.stage in _RESUME:
        # Never re-open: the conversation resumes where it was.
        return TurnDecision((), Outcome(state, status=survey.status).add(_RESUME[state.stage]))
    resumed = state if survey.status == SurveyStatus.IN_PROGRESS and state.stage == AWAITING_SCORE else None
    greet = Outcome(resumed or DialogueState(stage=AWAITING_SCORE, retries=0), status=SurveyStatus.IN_PROGRESS)
    greet.add(f"utter_greeting_{greeting}")
    return TurnDecision(status_change(survey.status, SurveyStatus.IN_PROGRESS), greet)


def handle_reply(
    survey: SurveyView | None,
    state: DialogueState,
    text: str,
    now: datetime,
    classify: Classify,
) -> TurnDecision:
    """Decide one customer message within a survey.

    Args:
        survey: Snapshot of the survey (None when the token is unknown).
        state: State from the previous turn.
        text: The customer's message as typed.
        now: Time the message arrived (UTC).
        classify: Cause classifier.

    Returns:
        Effects to store, in order, what to say and the next state.
    """
    text = (text or "")[:MAX_TEXT]
    settled = _settled(survey, state, text)
    if settled is not None:
        return settled
    assert survey is not None
    stage = state.stage or AWAITING_SCORE
    t = Turn(
        survey=survey, text=text, parsed=parse_reply(text), now=now, classify=classify,
        out=Outcome(DialogueState(stage=stage, retries=state.retries, pending_reason=state.pending_reason)),
    )
    if not any(guard(t) for guard in GUARDS):
        handler_for(stage)(t)
    return t.decision()


def finish(survey: SurveyView, state: DialogueState, now: datetime, classify: Classify) -> TurnDecision:
    """The customer stopped answering: close the survey with what they gave (the "nobody answered" rule).

    Used by the historical import (its rows have no more messages) and by the
    periodic sweep of live surveys idle past the window. A reason the customer
    gave but whose cause nobody confirmed (the dialogue asked whose fault it
    was, or which score was meant) is stored as the model's reading awaiting
    review, never as an automatic attribution. The survey ends ``completed``
    when a score counts, ``closed_no_score`` when the customer answered without
    a score that counts, and ``expired`` when they never opened it; a survey
    that is not open any more is left as it is.

    Args:
        survey: Snapshot of the survey.
        state: Its dialogue state (where the conversation stopped).
        now: When the survey is finished (UTC).
        classify: Cause classifier, for a reason still pending.

    Returns:
        The effects to store; the state is ``done`` and nothing is said.
    """
    if survey.status not in OPEN_SURVEY_STATUSES:
        return TurnDecision((), Outcome(state, status=survey.status))
    t = Turn(survey=survey, text=state.pending_reason or "", parsed=parse_reply(""), now=now, classify=classify,
             out=Outcome(DialogueState(stage=DONE)))
    pending = (state.pending_reason or "").strip()
    if t.counted is not None and pending and state.stage in (AWAITING_CAUSE_CHOICE, AWAITING_SCORE_CONFIRM):
        store_model_reason(t, pending, force_review=True)
    if t.counted is not None:
        t.set_status(SurveyStatus.COMPLETED)
    elif survey.status == SurveyStatus.PENDING:
        t.set_status(SurveyStatus.EXPIRED)
    else:
        t.set_status(SurveyStatus.CLOSED_NO_SCORE)
    return t.decision()
