"""Checks made before the stage handler, in order; the first that settles the turn ends it.

Each guard returns True when it has decided the whole turn. Order matters
(a late reply is late even when it opts out; a complaint is flagged and the
turn goes on), so it is written once, in ``GUARDS``.
"""
from __future__ import annotations

from collections.abc import Callable

from bot.dialogue import cues
from bot.dialogue.decisions import correction, late, opt_out
from bot.dialogue.state import DONE
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
    if cues.is_complaint(t.text, t.intent, t.intent_confidence) and t.parsed.kind != "optout":
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


def question(t: Turn) -> bool:
    """The customer asks what the scale means."""
    if t.parsed.kind != "question":
        return False
    t.say("utter_scale_explained")
    return True


def correcting(t: Turn) -> bool:
    """The customer says their score was wrong."""
    if t.parsed.kind != "correction":
        return False
    correction(t)
    return True


GUARDS: tuple[Guard, ...] = (expired, complaint, opting_out, closed, question, correcting)
