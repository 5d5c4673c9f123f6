"""The core's "nobody answered" rule and its opt-in decision, without a database (expected effects written by hand)."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.dialogue import engine
from bot.dialogue.effects import OptBackIn, RecordReason, SetStatus
from bot.dialogue.state import (
    AWAITING_CAUSE_CHOICE,
    AWAITING_REASON,
    AWAITING_SCORE,
    AWAITING_SCORE_CONFIRM,
    DONE,
    DialogueState,
)
from bot.dialogue.turn import CountedRating, SurveyView
from bot.domain import ReasonSource, SurveyStatus
from classifiers import CauseResult

NOW = datetime(2026, 3, 2, 11, 0, tzinfo=UTC)
WINDOW_END = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
UNSURE = CauseResult("company.system", "non_staff", 0.38, True, "一直", "m-1")


def view(status: str, counted: CountedRating | None = None) -> SurveyView:
    return SurveyView(id=1, status=status, expires_at=WINDOW_END, template_version="v1", counted=counted)


def never(text: str) -> CauseResult:
    raise AssertionError(f"nothing to classify, asked for {text!r}")


def test_a_reason_awaiting_the_customers_choice_is_kept_for_review_and_the_survey_completes():
    d = engine.finish(view(SurveyStatus.IN_PROGRESS, CountedRating(2, False)),
                      DialogueState(AWAITING_CAUSE_CHOICE, 1, "等了很久一直没人管"), NOW, lambda t: UNSURE)
    assert d.effects == (
        RecordReason(cause="company.system", attribution="non_staff", source=ReasonSource.MODEL, confidence=0.38,
                     model_version="m-1", evidence="一直", needs_review=True, text="等了很久一直没人管", on="counted"),
        SetStatus(SurveyStatus.COMPLETED),
    )
    assert d.state == DialogueState(stage=DONE) and d.say == [] and d.outcome.status == SurveyStatus.COMPLETED


def test_an_unconfirmed_contradicted_score_never_counts_and_the_survey_closes_without_score():
    d = engine.finish(view(SurveyStatus.IN_PROGRESS), DialogueState(AWAITING_SCORE_CONFIRM, 0, "服务太差了"), NOW, never)
    assert d.effects == (SetStatus(SurveyStatus.CLOSED_NO_SCORE),)


@pytest.mark.parametrize(("status", "counted", "stage", "expected"), [
    (SurveyStatus.IN_PROGRESS, CountedRating(1, False), AWAITING_REASON, SurveyStatus.COMPLETED),
    (SurveyStatus.IN_PROGRESS, CountedRating(5, False), DONE, SurveyStatus.COMPLETED),
    (SurveyStatus.IN_PROGRESS, None, AWAITING_SCORE, SurveyStatus.CLOSED_NO_SCORE),
    (SurveyStatus.PENDING, None, None, SurveyStatus.EXPIRED),
])
def test_the_survey_ends_with_what_the_customer_gave(status, counted, stage, expected):
    d = engine.finish(view(status, counted), DialogueState(stage), NOW, never)
    assert d.effects == (SetStatus(expected),)


@pytest.mark.parametrize("status", [SurveyStatus.COMPLETED, SurveyStatus.OPTED_OUT, SurveyStatus.EXPIRED])
def test_a_closed_survey_is_left_as_it_is(status):
    assert engine.finish(view(status, CountedRating(2, True)), DialogueState(DONE), NOW, never).effects == ()


@pytest.mark.parametrize(("text", "effects", "say"), [
    ("重新订阅", (OptBackIn(),), [("utter_opted_back_in", {})]),
    ("我想恢复评价", (OptBackIn(),), [("utter_opted_back_in", {})]),
    ("你们还在吗", (), []),
    ("5", (), []),  # a score after opting out is not taken: the customer asked for silence
])
def test_an_opted_out_customer_is_heard_only_when_asking_to_come_back(text, effects, say):
    d = engine.handle_reply(view(SurveyStatus.OPTED_OUT), DialogueState(DONE), text, NOW, never)
    assert (d.effects, d.say, d.outcome.status) == (effects, say, SurveyStatus.OPTED_OUT)
