"""Which survey an SMS reply answers: none, one, by extension code, or "which call?"."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.channels.reply_matching import (
    Match,
    OpenSurvey,
    ReplyMatch,
    extend_code,
    match_reply,
    which_call_answer,
    which_call_question,
)
from bot.domain.sms_templates import sms_length

MORNING = OpenSurvey(11, datetime(2026, 12, 7, 2, 5, tzinfo=UTC), "0011")     # 10:05 in Beijing
AFTERNOON = OpenSurvey(12, datetime(2026, 12, 7, 6, 30, tzinfo=UTC), "0012")  # 14:30 in Beijing


def test_no_open_survey() -> None:
    assert match_reply([], "0011") == ReplyMatch(Match.NONE)


def test_single_open_survey_whatever_the_code() -> None:
    assert match_reply([MORNING], None) == ReplyMatch(Match.ONE, 11)
    assert match_reply([MORNING], "9999") == ReplyMatch(Match.ONE, 11)


def test_extension_code_picks_among_several() -> None:
    assert match_reply([MORNING, AFTERNOON], "0012") == ReplyMatch(Match.ONE, 12)


def test_two_open_surveys_without_a_code_ask_oldest_first() -> None:
    m = match_reply([AFTERNOON, MORNING], None)
    assert m.kind is Match.ASK and [s.survey_id for s in m.candidates] == [11, 12]


def test_shared_code_after_wrap_around_asks() -> None:
    a, b = OpenSurvey(10011, MORNING.call_ended_at, "0011"), MORNING
    assert match_reply([a, b], "0011").kind is Match.ASK


def test_question_names_the_calls_in_beijing_time_and_fits_one_sms() -> None:
    q = which_call_question([MORNING, AFTERNOON], "Asia/Shanghai")
    assert q == "您有2次来电的评价尚未完成，请问这条回复评价的是哪一次？回复1 12月7日10:05的来电 2 12月7日14:30的来电"
    assert sms_length("客服中心", q, allow_long=False).segments == 1


@pytest.mark.parametrize(("text", "survey_id"), [("1", 11), ("2", 12), ("第2次", 12), (" ２ ", 12), ("1。", 11)])
def test_answers_to_the_question(text: str, survey_id: int) -> None:
    chosen = which_call_answer(text, [MORNING, AFTERNOON])
    assert chosen is not None and chosen.survey_id == survey_id


@pytest.mark.parametrize("text", ["3", "5分", "上午那个", "", "12"])
def test_not_an_answer_to_the_question(text: str) -> None:
    assert which_call_answer(text, [MORNING, AFTERNOON]) is None


def test_extend_code() -> None:
    assert extend_code(42, 4) == "0042" and extend_code(123456, 4) == "3456"
    with pytest.raises(ValueError):
        extend_code(1, 0)
