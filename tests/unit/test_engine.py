"""The dialogue core alone: no database, no Rasa, no model.

Each test hands the engine a hand-made survey snapshot, the previous state,
the customer's text and a fake classifier that returns hand-made readings for
the exact texts it expects (any other text fails the test), and checks the
exact effects, responses and next state the engine decides.
"""
from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime

import pytest

from bot.dialogue import engine
from bot.dialogue.effects import RaiseFlag, RecordRating, RecordReason, SetStatus
from bot.dialogue.state import (
    AWAITING_CAUSE_CHOICE,
    AWAITING_CORRECTION,
    AWAITING_REASON,
    AWAITING_SCORE,
    AWAITING_SCORE_CONFIRM,
    DONE,
    DialogueState,
)
from bot.dialogue.turn import CountedRating, SurveyView, TurnDecision
from bot.domain import FlagKind, ReasonSource, SurveyStatus
from classifiers import CauseResult

NOW = datetime(2026, 3, 2, 9, 5, tzinfo=UTC)
WINDOW_END = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
AFTER_WINDOW = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)
MODEL = "test-model-1"

ATTITUDE = CauseResult("staff.attitude", "staff", 0.97, False, "态度太差", MODEL)
PRAISE = CauseResult("none", "none", 0.91, False, "服务很好", MODEL)
UNSURE = CauseResult("customer.misreply", "non_staff", 0.06, True, "", MODEL)
UNSURE_STAFF = CauseResult("staff.competence", "staff", 0.41, True, "不专业", MODEL)


class FakeClassifier:
    """Returns the reading written for each expected text and records what it was asked."""

    def __init__(self, readings: dict[str, CauseResult] | None = None) -> None:
        self.readings = readings or {}
        self.calls: list[str] = []

    def __call__(self, text: str) -> CauseResult:
        self.calls.append(text)
        return self.readings[text]


def survey(status: str = SurveyStatus.IN_PROGRESS, counted: CountedRating | None = None) -> SurveyView:
    return SurveyView(id=7, status=status, expires_at=WINDOW_END, template_version="v2", counted=counted)


def state(stage: str | None, retries: int = 0, pending: str | None = None) -> DialogueState:
    return DialogueState(stage=stage, retries=retries, pending_reason=pending)


def reply(view: SurveyView | None, text: str, before: DialogueState, classify: FakeClassifier | None = None,
          now: datetime = NOW) -> TurnDecision:
    return engine.handle_reply(view, before, text, now, classify or FakeClassifier())


def model_reason(result: CauseResult, text: str, on: str, needs_review: bool = False) -> RecordReason:
    return RecordReason(cause=result.cause, attribution=result.attribution, source=ReasonSource.MODEL,
                        confidence=result.confidence, model_version=MODEL, evidence=result.evidence,
                        needs_review=needs_review, text=text, on=on)  # type: ignore[arg-type]


def test_the_engine_imports_no_database_layer():
    code = ("import sys, bot.dialogue.engine; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('sqlalchemy', 'bot.db', 'bot.conversation', 'bot.ledger')"
            " or m.startswith(('bot.db', 'bot.conversation', 'bot.ledger'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


# --- opening the chat -------------------------------------------------------

def test_start_greets_with_the_given_version_and_marks_the_survey_in_progress():
    d = engine.start(survey(SurveyStatus.PENDING), state(None), NOW, "v2")
    assert d.effects == (SetStatus(SurveyStatus.IN_PROGRESS),)
    assert d.say == [("utter_greeting_v2", {})]
    assert d.state == state(AWAITING_SCORE)


def test_start_again_on_a_survey_in_progress_stores_nothing_and_resumes():
    # A reload never re-opens the survey; the open question is asked again, state unchanged.
    d = engine.start(survey(SurveyStatus.IN_PROGRESS), state(AWAITING_REASON), NOW, "v1")
    assert d.effects == ()
    assert d.say == [("utter_ask_reason", {})]
    assert d.state == state(AWAITING_REASON)


@pytest.mark.parametrize(("view", "now", "say", "after"), [
    (None, NOW, [("utter_survey_not_found", {})], state(None)),
    (survey(SurveyStatus.OPTED_OUT), NOW, [], state(DONE)),
    (survey(SurveyStatus.COMPLETED), NOW, [("utter_survey_closed", {})], state(DONE)),
    (survey(SurveyStatus.PENDING), AFTER_WINDOW, [("utter_late", {})], state(AWAITING_SCORE)),
])
def test_start_that_cannot_open_the_survey_stores_nothing(view, now, say, after):
    d = engine.start(view, state(None), now, "v1")
    assert d.effects == ()
    assert d.say == say
    assert d.state == after


# --- scores -------------------------------------------------------------------

def test_high_score_completes_without_asking_or_classifying():
    fake = FakeClassifier()
    d = reply(survey(), "5", state(AWAITING_SCORE), fake)
    assert d.effects == (RecordRating(5, "5"), SetStatus(SurveyStatus.COMPLETED))
    assert d.say == [("utter_thanks_high", {"score": 5})]
    assert d.state == state(DONE)
    assert fake.calls == []


def test_high_score_with_praise_keeps_the_reading_on_the_new_rating():
    fake = FakeClassifier({"问题当场解决了": PRAISE})
    d = reply(survey(), "5分 很满意，问题当场解决了", state(AWAITING_SCORE), fake)
    assert d.effects == (
        RecordRating(5, "5分 很满意，问题当场解决了"),
        model_reason(PRAISE, "问题当场解决了", on="new"),
        SetStatus(SurveyStatus.COMPLETED),
    )
    assert d.say == [("utter_thanks_high", {"score": 5})]
    assert d.state == state(DONE)


def test_low_score_on_a_pending_survey_asks_the_reason():
    d = reply(survey(SurveyStatus.PENDING), "3", state(AWAITING_SCORE))
    assert d.effects == (RecordRating(3, "3"), SetStatus(SurveyStatus.IN_PROGRESS))
    assert d.say == [("utter_ask_reason", {})]
    assert d.state == state(AWAITING_REASON)


def test_low_score_then_a_confident_reason_attributes_it_to_the_counted_rating():
    text = "客服态度太差了，一直打断我说话"
    fake = FakeClassifier({text: ATTITUDE})
    d = reply(survey(counted=CountedRating(2, has_reason=False)), text, state(AWAITING_REASON), fake)
    assert d.effects == (model_reason(ATTITUDE, text, on="counted"), SetStatus(SurveyStatus.COMPLETED))
    assert d.say == [("utter_thanks_reason", {"score": 2})]
    assert d.state == state(DONE)


def test_low_score_with_its_reason_in_one_message():
    fake = FakeClassifier({"客服态度太差了,一直打断我": ATTITUDE})
    d = reply(survey(), "2 客服态度太差了，一直打断我", state(AWAITING_SCORE), fake)
    assert d.effects == (
        RecordRating(2, "2 客服态度太差了，一直打断我"),
        model_reason(ATTITUDE, "客服态度太差了,一直打断我", on="new"),
        SetStatus(SurveyStatus.COMPLETED),
    )
    assert d.say == [("utter_thanks_reason", {"score": 2})]


def test_reason_stage_without_a_counted_score_starts_over():
    d = reply(survey(), "等了很久", state(AWAITING_REASON, retries=1))
    assert d.effects == ()
    assert d.say == [("utter_reask_score", {})]
    assert d.state == state(AWAITING_SCORE)


def test_blank_reason_is_asked_again():
    d = reply(survey(counted=CountedRating(2, False)), "  ", state(AWAITING_REASON))
    assert d.effects == ()
    assert d.say == [("utter_ask_reason", {})]
    assert d.state == state(AWAITING_REASON)


# --- whose fault was it? -------------------------------------------------------

LOW_NO_REASON = CountedRating(1, has_reason=False)


def test_unclear_reason_asks_for_the_cause_keeping_the_text():
    fake = FakeClassifier({"不满意": UNSURE})
    d = reply(survey(counted=LOW_NO_REASON), "不满意", state(AWAITING_REASON), fake)
    assert d.effects == ()
    assert d.say == [("utter_ask_cause_choice", {})]
    assert d.state == state(AWAITING_CAUSE_CHOICE, 0, "不满意")


def test_cause_typed_as_words_uses_the_option_default_when_the_reading_is_outside_it():
    fake = FakeClassifier({"不满意": UNSURE})
    d = reply(survey(counted=LOW_NO_REASON), "网络或系统", state(AWAITING_CAUSE_CHOICE, 0, "不满意"), fake)
    assert d.effects == (
        RecordReason(cause="company.system", attribution="non_staff", source=ReasonSource.CUSTOMER,
                     confidence=None, model_version=MODEL, evidence="客户选择：网络或系统", needs_review=False,
                     text="不满意", on="counted", model_cause=UNSURE.cause, model_confidence=UNSURE.confidence),
        SetStatus(SurveyStatus.COMPLETED),
    )
    assert d.say == [("utter_thanks_reason", {"score": 1})]
    assert d.state == state(DONE)


def test_cause_typed_as_a_number_keeps_the_reading_inside_the_option():
    fake = FakeClassifier({"他根本不听我说": UNSURE_STAFF})
    d = reply(survey(counted=LOW_NO_REASON), "1", state(AWAITING_CAUSE_CHOICE, 0, "他根本不听我说"), fake)
    assert d.effects == (
        RecordReason(cause="staff.competence", attribution="staff", source=ReasonSource.CUSTOMER,
                     confidence=None, model_version=MODEL, evidence="客户选择：1", needs_review=False,
                     text="他根本不听我说", on="counted", model_cause=UNSURE_STAFF.cause,
                     model_confidence=UNSURE_STAFF.confidence),
        SetStatus(SurveyStatus.COMPLETED),
    )


def test_cause_number_two_is_the_company_even_when_the_model_leaned_to_staff():
    fake = FakeClassifier({"他根本不听我说": UNSURE_STAFF})
    d = reply(survey(counted=LOW_NO_REASON), "2", state(AWAITING_CAUSE_CHOICE, 0, "他根本不听我说"), fake)
    assert d.effects[0] == RecordReason(
        cause="company.policy", attribution="non_staff", source=ReasonSource.CUSTOMER, confidence=None,
        model_version=MODEL, evidence="客户选择：2", needs_review=False, text="他根本不听我说", on="counted",
        # The model's guess is kept beside the customer's choice: the review queue shows where they disagree.
        model_cause="staff.competence", model_confidence=UNSURE_STAFF.confidence)


def test_unclear_cause_is_asked_once_more():
    fake = FakeClassifier()
    d = reply(survey(counted=LOW_NO_REASON), "嗯", state(AWAITING_CAUSE_CHOICE, 0, "不满意"), fake)
    assert d.effects == ()
    assert d.say == [("utter_ask_cause_choice", {})]
    assert d.state == state(AWAITING_CAUSE_CHOICE, 1, "不满意")
    assert fake.calls == []


@pytest.mark.parametrize("reading", [UNSURE, UNSURE_STAFF])
def test_unclear_cause_twice_keeps_the_reading_for_review_never_as_a_confirmed_cause(reading):
    fake = FakeClassifier({"不满意": reading})
    d = reply(survey(counted=LOW_NO_REASON), "随便吧", state(AWAITING_CAUSE_CHOICE, 1, "不满意"), fake)
    assert d.effects == (model_reason(reading, "不满意", on="counted", needs_review=True),
                         SetStatus(SurveyStatus.COMPLETED))
    assert d.effects[0].source == ReasonSource.MODEL  # type: ignore[union-attr]
    assert d.say == [("utter_thanks_reason", {"score": 1})]
    assert d.state == state(DONE)


def test_cause_choice_without_a_counted_score_starts_over():
    d = reply(survey(), "1", state(AWAITING_CAUSE_CHOICE, 0, "不满意"))
    assert d.effects == ()
    assert d.say == [("utter_reask_score", {})]
    assert d.state == state(AWAITING_SCORE)


# --- contradictions -------------------------------------------------------------

def test_digit_contradicted_by_words_is_confirmed_without_storing_or_classifying():
    # An unconfirmed contradicted score never counts, so it is not stored yet.
    fake = FakeClassifier()
    d = reply(survey(SurveyStatus.PENDING), "5 态度太差了", state(AWAITING_SCORE), fake)
    assert d.effects == (SetStatus(SurveyStatus.IN_PROGRESS),)
    assert d.say == [("utter_confirm_score", {"score": 5})]
    assert d.state == state(AWAITING_SCORE_CONFIRM, 0, "态度太差了")
    assert fake.calls == []


def test_confirming_another_score_puts_the_pending_reason_on_the_new_rating():
    fake = FakeClassifier({"态度太差了": ATTITUDE})
    d = reply(survey(counted=CountedRating(5, False)), "1", state(AWAITING_SCORE_CONFIRM, 0, "态度太差了"), fake)
    assert d.effects == (
        RecordRating(1, "1"),
        model_reason(ATTITUDE, "态度太差了", on="new"),
        SetStatus(SurveyStatus.COMPLETED),
    )
    assert d.say == [("utter_thanks_reason", {"score": 1})]
    assert d.state == state(DONE)


def test_confirmation_without_a_score_is_asked_once_more():
    d = reply(survey(counted=CountedRating(5, False)), "嗯", state(AWAITING_SCORE_CONFIRM, 0, "态度太差了"))
    assert d.effects == ()
    assert d.say == [("utter_reask_score", {})]
    assert d.state == state(AWAITING_SCORE_CONFIRM, 1, "态度太差了")


def test_second_confirmation_without_a_score_keeps_the_given_score_and_its_reason():
    fake = FakeClassifier({"态度太差了": ATTITUDE})
    d = reply(survey(counted=CountedRating(5, False)), "好", state(AWAITING_SCORE_CONFIRM, 1, "态度太差了"), fake)
    assert d.effects == (model_reason(ATTITUDE, "态度太差了", on="counted"), SetStatus(SurveyStatus.COMPLETED))
    assert d.say == [("utter_thanks_high", {"score": 5})]
    assert d.state == state(DONE)


def test_top_score_with_a_confident_complaint_is_confirmed_before_storing_anything():
    # The contradicted 5 counts only once the customer confirms it.
    fake = FakeClassifier({"客服态度恶劣,一直推脱": ATTITUDE})
    d = reply(survey(), "5分，客服态度恶劣，一直推脱", state(AWAITING_SCORE), fake)
    assert d.effects == ()
    assert d.say == [("utter_confirm_score", {"score": 5})]
    assert d.state == state(AWAITING_SCORE_CONFIRM, 0, "客服态度恶劣,一直推脱")


def test_bottom_score_with_praise_as_reason_stores_the_reading_and_confirms():
    text = "非常满意，服务很好"
    fake = FakeClassifier({text: PRAISE})
    d = reply(survey(counted=CountedRating(1, False)), text, state(AWAITING_REASON), fake)
    assert d.effects == (model_reason(PRAISE, text, on="counted"),)
    assert d.say == [("utter_confirm_score", {"score": 1})]
    assert d.state == state(AWAITING_SCORE_CONFIRM, 0, None)


def test_confirming_the_same_low_score_that_has_a_reason_completes():
    fake = FakeClassifier()
    d = reply(survey(counted=CountedRating(1, True)), "1", state(AWAITING_SCORE_CONFIRM), fake)
    assert d.effects == (SetStatus(SurveyStatus.COMPLETED),)
    assert d.say == [("utter_thanks_reason", {"score": 1})]
    assert fake.calls == []


def test_confirming_a_new_low_score_asks_its_reason():
    d = reply(survey(counted=CountedRating(5, True)), "2", state(AWAITING_SCORE_CONFIRM))
    assert d.effects == (RecordRating(2, "2"),)
    assert d.say == [("utter_ask_reason", {})]
    assert d.state == state(AWAITING_REASON)


# --- corrections ----------------------------------------------------------------

def test_correction_during_the_survey_replaces_the_score_and_continues():
    text = "刚才按错了，应该是5分"
    d = reply(survey(counted=CountedRating(1, False)), text, state(AWAITING_REASON))
    assert d.effects == (RecordRating(5, text), SetStatus(SurveyStatus.COMPLETED))
    assert d.say == [("utter_correction_done", {"score": 5}), ("utter_thanks_high", {"score": 5})]
    assert d.state == state(DONE)


def test_correction_after_completion_replaces_the_score_and_stays_done():
    text = "刚才按错了，应该是2分"
    d = reply(survey(SurveyStatus.COMPLETED, CountedRating(5, False)), text, state(DONE))
    assert d.effects == (RecordRating(2, text),)
    assert d.say == [("utter_correction_done", {"score": 2})]
    assert d.state == state(DONE)


def test_correction_on_a_survey_closed_without_score_is_refused():
    d = reply(survey(SurveyStatus.CLOSED_NO_SCORE), "刚才按错了，应该是5分", state(DONE))
    assert d.effects == ()
    assert d.say == [("utter_survey_closed", {})]
    assert d.state == state(DONE)


def test_correction_without_a_score_asks_for_it_then_takes_it():
    counted = CountedRating(2, False)
    first = reply(survey(counted=counted), "我刚才打错了", state(AWAITING_REASON, retries=1))
    assert first.effects == ()
    assert first.say == [("utter_ask_corrected_score", {})]
    assert first.state == state(AWAITING_CORRECTION)
    second = reply(survey(counted=counted), "4", first.state)
    assert second.effects == (RecordRating(4, "4"), SetStatus(SurveyStatus.COMPLETED))
    assert second.say == [("utter_correction_done", {"score": 4}), ("utter_thanks_high", {"score": 4})]
    assert second.state == state(DONE)


# --- opting out, late replies, complaints, questions, closed and unknown surveys ---------

def test_opt_out_without_a_score():
    d = reply(survey(), "别再发了", state(AWAITING_SCORE))
    assert d.effects == (SetStatus(SurveyStatus.OPTED_OUT),)
    assert d.say == [("utter_optout_ack", {})]
    assert d.state == state(DONE)


def test_opt_out_with_a_score_keeps_it():
    d = reply(survey(), "2分，别再发了", state(AWAITING_SCORE))
    assert d.effects == (RecordRating(2, "2分，别再发了"), SetStatus(SurveyStatus.OPTED_OUT))
    assert d.say == [("utter_optout_ack", {})]


def test_opt_out_with_a_low_score_and_reason_keeps_both():
    text = "1分，客服太敷衍了，以后别再发了"
    fake = FakeClassifier({"客服太敷衍了": ATTITUDE})
    d = reply(survey(), text, state(AWAITING_SCORE), fake)
    assert d.effects == (RecordRating(1, text), model_reason(ATTITUDE, "客服太敷衍了", on="new"),
                         SetStatus(SurveyStatus.OPTED_OUT))
    assert d.state == state(DONE)


def test_late_score_is_kept_as_late_and_the_survey_expires():
    d = reply(survey(counted=CountedRating(2, False)), "3", state(AWAITING_REASON, retries=1), now=AFTER_WINDOW)
    assert d.effects == (RecordRating(3, "3"), SetStatus(SurveyStatus.EXPIRED))
    assert d.say == [("utter_late", {})]
    assert d.state == state(DONE, retries=1)


def test_late_opt_out_opts_out():
    d = reply(survey(), "别再发了", state(AWAITING_SCORE), now=AFTER_WINDOW)
    assert d.effects == (SetStatus(SurveyStatus.OPTED_OUT),)
    assert d.say == [("utter_late", {})]


def test_late_reply_to_a_finished_survey_stores_nothing():
    d = reply(survey(SurveyStatus.COMPLETED, CountedRating(4, False)), "1", state(DONE), now=AFTER_WINDOW)
    assert d.effects == ()
    assert d.say == [("utter_late", {})]
    assert d.state == state(DONE)


def test_complaint_is_flagged_and_is_not_a_failed_attempt():
    d = reply(survey(), "我要投诉你们", state(AWAITING_SCORE))
    assert d.effects == (RaiseFlag(FlagKind.COMPLAINT, "我要投诉你们"),)
    assert d.say == [("utter_complaint_ack", {}), ("utter_reask_score", {})]
    assert d.state == state(AWAITING_SCORE)


def test_complaint_with_a_score_is_flagged_and_the_score_handled():
    text = "2分 我要投诉你们客服"
    fake = FakeClassifier({"我要投诉你们客服": ATTITUDE})
    d = reply(survey(), text, state(AWAITING_SCORE), fake)
    assert d.effects == (RaiseFlag(FlagKind.COMPLAINT, text), RecordRating(2, text),
                         model_reason(ATTITUDE, "我要投诉你们客服", on="new"), SetStatus(SurveyStatus.COMPLETED))
    assert d.say == [("utter_complaint_ack", {}), ("utter_thanks_reason", {"score": 2})]


def test_anger_without_asking_to_complain_is_not_a_complaint_flag():
    d = reply(survey(), "你们这样我很生气", state(AWAITING_SCORE))
    assert d.effects == ()
    assert d.say == [("utter_reask_score", {})]
    # Words of dissatisfaction without a score are kept for a low score that follows.
    assert d.state == state(AWAITING_SCORE, retries=1, pending="你们这样我很生气")


def test_complaint_on_a_closed_survey_is_flagged_without_the_closed_message():
    d = reply(survey(SurveyStatus.COMPLETED), "我要投诉你们", state(DONE))
    assert d.effects == (RaiseFlag(FlagKind.COMPLAINT, "我要投诉你们"),)
    assert d.say == [("utter_complaint_ack", {})]
    assert d.state == state(DONE)


def test_question_about_the_scale_is_answered_and_nothing_changes():
    d = reply(survey(), "5分是好还是差？", state(AWAITING_SCORE, retries=1))
    assert d.effects == ()
    assert d.say == [("utter_scale_explained", {})]
    assert d.state == state(AWAITING_SCORE, retries=1)


def test_closed_survey_says_so():
    d = reply(survey(SurveyStatus.COMPLETED, CountedRating(4, False)), "谢谢", state(DONE))
    assert d.effects == ()
    assert d.say == [("utter_survey_closed", {})]
    assert d.state == state(DONE)


def test_unknown_survey_keeps_the_state():
    d = reply(None, "5", state(None))
    assert d.effects == ()
    assert d.say == [("utter_survey_not_found", {})]
    assert d.state == state(None)


def test_opted_out_survey_stays_silent():
    d = reply(survey(SurveyStatus.OPTED_OUT), "5", state(DONE))
    assert d.effects == ()
    assert d.say == []
    assert d.state == state(DONE)


def test_unparseable_reply_is_asked_again_once_then_the_survey_closes_without_score():
    first = reply(survey(), "收到", state(AWAITING_SCORE))
    assert first.effects == ()
    assert first.say == [("utter_reask_score", {})]
    assert first.state == state(AWAITING_SCORE, retries=1)
    second = reply(survey(), "👍", first.state)
    assert second.effects == (SetStatus(SurveyStatus.CLOSED_NO_SCORE),)
    assert second.say == [("utter_close_no_score", {})]
    assert second.state == state(DONE)


def test_a_new_conversation_without_stage_expects_a_score():
    d = reply(survey(SurveyStatus.PENDING), "4", state(None))
    assert d.effects == (RecordRating(4, "4"), SetStatus(SurveyStatus.IN_PROGRESS), SetStatus(SurveyStatus.COMPLETED))
    assert d.say == [("utter_thanks_high", {"score": 4})]
