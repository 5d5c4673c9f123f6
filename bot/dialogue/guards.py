"""Checks made before the stage handler, in order; the first that settles the turn ends it.

Each guard returns True when it has decided the whole turn. Order matters
(a late reply is late even when it opts out; a complaint is flagged and the
turn goes on), so it is written once, in ``GUARDS``.
"""
from __future__ import annotations

from collections.abc import Callable

from bot.dialogue import answers, cues
from bot.dialogue.decisions import correction, late, opt_out
from bot.dialogue.state import AWAITING_CAUSE_CHOICE, AWAITING_REASON, DONE
from bot.dialogue.turn import Turn
from bot.domain import CLOSED_SURVEY_STATUSES, FlagKind, SurveyStatus

Guard = Callable[[Turn], bool]


def expired(t: Turn) -> bool:
    """After the validity window nothing else applies."""
    if not t.expired:
        return False
    late(t)
    return True


def complaint(t: Turn) -> bool:
    """Flag a complaint for a supervisor and acknowledge it; the reply is still handled."""
    if cues.is_complaint(t.text) and t.parsed.kind != "optout":
        t.complaint = True
        t.flag(FlagKind.COMPLAINT)
        t.say("utter_complaint_ack")
    return False


def opting_out(t: Turn) -> bool:
    """The customer asks for no more surveys."""
    if not (t.parsed.kind == "optout" or t.parsed.optout):
        return False
    opt_out(t)
    return True


def closed(t: Turn) -> bool:
    """A finished survey takes only a correction of a completed score."""
    if t.status not in CLOSED_SURVEY_STATUSES:
        return False
    if t.parsed.kind == "correction" and t.status == SurveyStatus.COMPLETED:
        correction(t)
        return True
    if not t.complaint:
        t.say("utter_survey_closed")
    t.state.stage = DONE
    return True


# Questions that are never a reason; any other question in the reason stage
# ("…让我怎么办？", "退款什么时候到账？") is the customer's reason, phrased as a question.
_NOT_A_REASON = frozenset({"genuine", "human", "language"})
_SHORT_QUESTION = 12  # characters: "5是满意吗？" asks; a longer sentence in the reason stage explains


def question(t: Turn) -> bool:
    """The customer asks something instead of answering: answer it honestly (by topic), then ask again.

    At the cause choice the handler asks again itself; in the reason stage a
    rhetorical or follow-up question is the reason and is handled as such.
    """
    if t.parsed.kind != "question" or t.state.stage == AWAITING_CAUSE_CHOICE:
        return False
    topic = t.parsed.topic or "scale"
    if t.state.stage == AWAITING_REASON and topic not in _NOT_A_REASON and (
            topic == "followup" or len(t.text.strip()) > _SHORT_QUESTION):
        return False
    if topic == "followup":
        t.flag(FlagKind.FOLLOWUP)
    t.say(answers.question_response(topic))
    return True


def correcting(t: Turn) -> bool:
    """The customer says their score was wrong."""
    if t.parsed.kind != "correction":
        return False
    correction(t)
    return True


GUARDS: tuple[Guard, ...] = (expired, complaint, opting_out, closed, question, correcting)
