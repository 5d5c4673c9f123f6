"""The dialogue core on hard replies (contradicted scores, threats, follow-up requests, reloads, late words), without database, Rasa or model (fake classifier).

Phrasings are our own; each expected effect, response and state is written by hand.
"""
from __future__ import annotations

import pytest

from bot.dialogue import engine
from bot.dialogue.effects import RaiseFlag, RecordRating, RecordReason, SetStatus
from bot.dialogue.state import (
    AWAITING_CAUSE_CHOICE,
    AWAITING_REASON,
    AWAITING_SCORE,
    AWAITING_SCORE_CONFIRM,
    DONE,
)
from bot.dialogue.turn import CountedRating
from bot.domain import FlagKind, ReasonSource, SurveyStatus
from classifiers import CauseResult
from tests.unit.test_engine import MODEL, NOW, FakeClassifier, model_reason, reply, state, survey

SURVEY_ISSUE = CauseResult("survey.issue", "non_staff", 0.93, False, "短信", MODEL)
CLAIMS = CauseResult("company.policy", "non_staff", 0.88, False, "理赔", MODEL)
SYSTEM = CauseResult("company.system", "non_staff", 0.9, False, "app", MODEL)
RUDE = CauseResult("staff.attitude", "staff", 0.95, False, "打发", MODEL)
UNSURE = CauseResult("customer.other", "non_staff", 0.1, True, "", MODEL)


# --- kind 1: an unconfirmed contradicted score never counts ------------------------

@pytest.mark.parametrize("text", ["5分 非常不满意", "5 太差劲了", "1 非常满意"])
def test_contradicted_score_unconfirmed_twice_closes_without_a_score(text):
    first = reply(survey(), text, state(AWAITING_SCORE))
    assert first.effects == () and first.state.stage == AWAITING_SCORE_CONFIRM
    second = reply(survey(), "嗯嗯", first.state)
    assert second.effects == () and second.say == [("utter_reask_score", {})]
    third = reply(survey(), "不知道", second.state)
    assert third.effects == (SetStatus(SurveyStatus.CLOSED_NO_SCORE),)
    assert third.say == [("utter_close_no_score", {})]
    assert third.state == state(DONE)


def test_contradicted_score_confirmed_counts_with_its_reason():
    first = reply(survey(), "5 态度太差了", state(AWAITING_SCORE))
    fake = FakeClassifier({"态度太差了": RUDE})
    second = reply(survey(), "1分", first.state, fake)
    assert second.effects == (RecordRating(1, "1分"), model_reason(RUDE, "态度太差了", on="new"),
                              SetStatus(SurveyStatus.COMPLETED))
    assert second.say == [("utter_thanks_reason", {"score": 1})]


# --- kind 2: two scores with units are two candidates, not a contradiction -------------

@pytest.mark.parametrize("text", ["3分或者4分", "4分还是5分吧", "给2分到3分"])
def test_two_scores_are_asked_again_then_closed(text):
    first = reply(survey(), text, state(AWAITING_SCORE))
    assert first.effects == () and first.say == [("utter_reask_score", {})]
    assert first.state.stage == AWAITING_SCORE and first.state.retries == 1
    second = reply(survey(), "4或5都行", first.state)
    assert second.effects == (SetStatus(SurveyStatus.CLOSED_NO_SCORE),)


# --- kind 3: a score with an opt-out and a complaint about the survey --------------

@pytest.mark.parametrize(("text", "score", "reason"), [
    ("5分，评价短信天天发，烦死了，退订", 5, "评价短信天天发,烦死了"),
    ("2分 这种调查一天来三条 别再发了", 2, "这种调查一天来三条"),
])
def test_score_optout_and_survey_complaint_keep_rating_and_reason(text, score, reason):
    fake = FakeClassifier({reason: SURVEY_ISSUE})
    d = reply(survey(), text, state(AWAITING_SCORE), fake)
    assert d.effects == (RecordRating(score, text), model_reason(SURVEY_ISSUE, reason, on="new"),
                         SetStatus(SurveyStatus.OPTED_OUT))
    assert d.say == [("utter_optout_ack", {})]


# --- kind 4: a rhetorical question in the reason stage is the reason --------------------

@pytest.mark.parametrize("text", ["客服一句话就把我打发了，这让我怎么评价？", "等了一个月都没人管，你说我该选哪个？"])
def test_rhetorical_question_is_the_reason(text):
    fake = FakeClassifier({text: RUDE})
    d = reply(survey(counted=CountedRating(1, False)), text, state(AWAITING_REASON), fake)
    assert d.effects == (model_reason(RUDE, text, on="counted"), SetStatus(SurveyStatus.COMPLETED))


def test_a_short_scale_question_in_the_reason_stage_is_still_answered():
    d = reply(survey(counted=CountedRating(2, False)), "5是满意吗？", state(AWAITING_REASON))
    assert d.effects == () and d.say == [("utter_scale_explained", {})]


# --- kind 5: typed cause choices --------------------------------------------------------

@pytest.mark.parametrize(("typed", "cause", "attribution"), [
    ("是那个接电话的小姑娘的问题", "staff.resolution", "staff"),
    ("你們公司規定太死", "company.policy", "non_staff"),
    ("信号问题", "company.system", "non_staff"),
    ("说不上来", "customer.other", "non_staff"),
])
def test_typed_cause_choice_is_the_customers_choice(typed, cause, attribution):
    fake = FakeClassifier({"没解决": UNSURE})
    d = reply(survey(counted=CountedRating(2, False)), typed, state(AWAITING_CAUSE_CHOICE, 0, "没解决"), fake)
    assert d.effects[0] == RecordReason(
        cause=cause, attribution=attribution, source=ReasonSource.CUSTOMER, confidence=None, model_version=MODEL,
        evidence=f"客户选择：{typed}", needs_review=False, text="没解决", on="counted", model_cause=UNSURE.cause,
        model_confidence=UNSURE.confidence)


def test_two_options_named_are_asked_again_then_kept_for_review():
    counted = survey(counted=CountedRating(2, False))
    first = reply(counted, "客服和网络都有问题", state(AWAITING_CAUSE_CHOICE, 0, "没解决"))
    assert first.effects == () and first.say == [("utter_ask_cause_choice", {})]
    fake = FakeClassifier({"没解决": UNSURE})
    second = reply(counted, "嗯", first.state, fake)
    assert second.effects[0] == model_reason(UNSURE, "没解决", on="counted", needs_review=True)


# --- kind 6: numbers are not complaints ----------------------------------------------------

@pytest.mark.parametrize("text", ["13812312315", "订单号 88012345", "12315"])
def test_a_bare_number_raises_no_flag(text):
    d = reply(survey(), text, state(AWAITING_SCORE))
    assert not any(isinstance(e, RaiseFlag) for e in d.effects)


# --- kind 7: the reason is classified without the threat -------------------------------

def test_threat_is_flagged_and_the_reason_classified_without_it():
    text = "理赔拖了两个月还没到账，再不处理我就去银保监投诉"
    fake = FakeClassifier({"理赔拖了两个月还没到账": CLAIMS})
    d = reply(survey(counted=CountedRating(1, False)), text, state(AWAITING_REASON), fake)
    assert d.effects == (RaiseFlag(FlagKind.COMPLAINT, text), model_reason(CLAIMS, text, on="counted"),
                         SetStatus(SurveyStatus.COMPLETED))
    assert fake.calls == ["理赔拖了两个月还没到账"]


def test_a_threat_alone_in_the_reason_stage_asks_for_the_reason():
    d = reply(survey(counted=CountedRating(1, False)), "我要去12315投诉你们", state(AWAITING_REASON))
    assert d.effects == (RaiseFlag(FlagKind.COMPLAINT, "我要去12315投诉你们"),)
    assert d.say == [("utter_complaint_ack", {}), ("utter_ask_reason", {})]


# --- kind 8: questions answered by topic, then the score asked again ------------------------

@pytest.mark.parametrize(("text", "response"), [
    ("这个链接是不是诈骗？", "utter_answer_genuine"),
    ("你是机器人吗", "utter_answer_human"),
    ("Can I answer in English?", "utter_answer_language"),
    ("怎么打分", "utter_scale_explained"),
])
def test_questions_are_answered_without_counting_as_an_attempt(text, response):
    d = reply(survey(), text, state(AWAITING_SCORE, retries=1))
    assert d.effects == () and d.say == [(response, {})]
    assert d.state == state(AWAITING_SCORE, retries=1)


def test_a_followup_request_is_flagged_and_answered():
    d = reply(survey(), "我的退款什么时候能到账？", state(AWAITING_SCORE))
    assert d.effects == (RaiseFlag(FlagKind.FOLLOWUP, "我的退款什么时候能到账？"),)
    assert d.say == [("utter_answer_followup", {})]


# --- kind 8 (parser) in the dialogue: a complaint about something else, then a low score ---------

def test_complaint_about_something_else_becomes_the_reason_of_a_low_score():
    first = reply(survey(), "你们app太难用了", state(AWAITING_SCORE))
    assert first.effects == () and first.state.pending_reason == "你们app太难用了"
    fake = FakeClassifier({"你们app太难用了": SYSTEM})
    second = reply(survey(), "2", first.state, fake)
    assert second.effects == (RecordRating(2, "2"), model_reason(SYSTEM, "你们app太难用了", on="new"),
                              SetStatus(SurveyStatus.COMPLETED))


# --- kind 9: no re-open, no silent replacement -------------------------------------------------

def test_reopening_at_the_cause_choice_keeps_the_pending_reason():
    before = state(AWAITING_CAUSE_CHOICE, 0, "事情拖着没办")
    d = engine.start(survey(SurveyStatus.IN_PROGRESS, CountedRating(2, False)), before, NOW, "v1")
    assert d.effects == () and d.state == before and d.say == [("utter_ask_cause_choice", {})]


def test_a_later_message_with_bad_words_is_a_reason_not_a_new_score():
    text = "客服说话很差劲"
    fake = FakeClassifier({text: RUDE})
    d = reply(survey(counted=CountedRating(2, False)), text, state(AWAITING_SCORE), fake)
    assert d.effects == (model_reason(RUDE, text, on="counted"), SetStatus(SurveyStatus.COMPLETED))
    assert not any(isinstance(e, RecordRating) for e in d.effects)


# --- kind 11: the closing echoes what was recorded -----------------------------------------------

@pytest.mark.parametrize(("text", "score"), [("满意", 4), ("非常满意", 5), ("excellent", 5)])
def test_a_score_from_words_is_echoed_with_an_offer_to_correct(text, score):
    d = reply(survey(), text, state(AWAITING_SCORE))
    assert d.say == [("utter_thanks_high", {"score": score}), ("utter_offer_correction", {})]


def test_a_digit_is_echoed_without_the_offer():
    assert reply(survey(), "4", state(AWAITING_SCORE)).say == [("utter_thanks_high", {"score": 4})]
