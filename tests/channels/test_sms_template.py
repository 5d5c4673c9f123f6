"""SMS wording: the billed length (70 / 67-character segments), the versioned templates, buttons as numbered options.

Lengths are counted by hand: every character of 【签名】 and of the text counts one.
"""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.dialogue.cues import cause_choice
from bot.domain import CAUSE_CHOICES
from bot.domain.sms_templates import (
    SHORT_TITLES,
    TEMPLATES,
    SmsLength,
    TemplateError,
    check_templates,
    numbered_options,
    sms_length,
    template,
)

ROOT = Path(__file__).resolve().parents[2]


def _domain_buttons(response: str) -> tuple[str, list[dict[str, str]]]:
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    variant = domain["responses"][response][0]
    return variant["text"], variant["buttons"]


def test_exactly_seventy_is_one_message() -> None:
    sign = "客服中心"  # 【客服中心】 = 6 characters
    assert sms_length(sign, "好" * 64, allow_long=False) == SmsLength(70, 1)


def test_seventy_one_is_refused_unless_long_sms_allowed() -> None:
    with pytest.raises(TemplateError, match="71 characters"):
        sms_length("客服中心", "好" * 65, allow_long=False)
    assert sms_length("客服中心", "好" * 65, allow_long=True) == SmsLength(71, 2)


@pytest.mark.parametrize(("text_chars", "segments"), [(128, 2), (129, 3), (154, 3)])
def test_long_sms_segments_of_67(text_chars: int, segments: int) -> None:
    # 6 + 128 = 134 = 2 × 67; 6 + 129 = 135 → 3; 160 total → 67 + 67 + 26 = 3 (the document's example).
    assert sms_length("客服中心", "好" * text_chars, allow_long=True).segments == segments


def test_signature_brackets_count_and_letters_count_like_hanzi() -> None:
    assert sms_length("ABC", "Reply 1-5", allow_long=False).chars == 5 + 9


def test_over_500_characters_is_refused_even_when_long_sms_allowed() -> None:
    with pytest.raises(TemplateError, match="500"):
        sms_length("客服中心", "好" * 495, allow_long=True)


def test_empty_signature_is_refused() -> None:
    with pytest.raises(TemplateError, match="signature"):
        sms_length(" ", "您好", allow_long=True)


def test_invitation_states_scale_direction_and_opt_out_within_one_message() -> None:
    text = template("invite", "v1").render()
    assert "回复1-5" in text and "5分最满意" in text and "1分最不满意" in text and "回复TD退订" in text
    # 【客服中心】(6) + 43 characters of wording.
    assert check_templates("客服中心", {"invite": "v1"}, allow_long=False) == {"invite": SmsLength(49, 1)}


def test_a_long_signature_makes_the_invitation_too_long() -> None:
    # 【xxxxxxxxxxxxxxxxxxxxxxxxx】: 25 + 2 + 43 = 70 passes, one more character does not.
    assert check_templates("x" * 25, {"invite": "v1"}, allow_long=False)["invite"].chars == 70
    with pytest.raises(TemplateError):
        check_templates("x" * 26, {"invite": "v1"}, allow_long=False)


def test_unknown_template_and_missing_parameter() -> None:
    with pytest.raises(TemplateError):
        template("invite", "v0")
    with pytest.raises(TemplateError, match="answer"):
        template("reply", "v1").render({})


def test_reply_template_positional_parameters() -> None:
    t = template("reply", "v1")
    assert t.render({"answer": "已记录：5分。"}) == "已记录：5分。"
    assert t.positional({"answer": "已记录：5分。"}) == ["已记录：5分。"]


def test_every_template_placeholder_is_declared() -> None:
    import re

    for (key, version), t in TEMPLATES.items():
        assert set(re.findall(r"\{(\w+)\}", t.text)) == set(t.params), (key, version)


# --- buttons as numbered options -----------------------------------------------------------


def test_cause_choice_question_as_numbered_options() -> None:
    text, buttons = _domain_buttons("utter_ask_cause_choice")
    rendered = numbered_options(text, buttons)
    assert rendered == ("为了把您的意见转给能解决问题的同事，请问您不满意主要是因为："
                        "回复1 客服服务 2 公司规定 3 网络系统 4 其他")
    # 【客服中心】 6 + question 30 + "回复" 2 + "1 客服服务 " 7 + "2 公司规定 " 7 + "3 网络系统 " 7 + "4 其他" 4 = 63.
    assert sms_length("客服中心", rendered, allow_long=False) == SmsLength(63, 1)


def test_full_titles_on_request() -> None:
    text, buttons = _domain_buttons("utter_ask_cause_choice")
    assert numbered_options("请选择：", buttons, short_titles={}).endswith(
        "回复1 客服人员的服务 2 公司业务或规定 3 网络或系统 4 其他")


def test_numbers_and_short_labels_are_read_back_as_the_same_option() -> None:
    _, buttons = _domain_buttons("utter_ask_cause_choice")
    for position, (button, choice) in enumerate(zip(buttons, CAUSE_CHOICES), start=1):
        assert button["title"] == choice.title
        assert cause_choice(str(position)) == choice.key
        assert cause_choice(SHORT_TITLES.get(choice.title, choice.title)) == choice.key


def test_message_without_buttons_is_unchanged_and_too_many_buttons_refused() -> None:
    assert numbered_options("感谢您的评分。", []) == "感谢您的评分。"
    with pytest.raises(TemplateError):
        numbered_options("选一个：", [{"title": str(i), "payload": str(i)} for i in range(10)])


def test_plain_answer_joins_a_turn_and_numbers_its_buttons() -> None:
    from bot.channels.plain_text import plain_answer

    text, buttons = _domain_buttons("utter_ask_cause_choice")
    turn = [{"text": "已记录：2分。"}, {"text": text, "buttons": buttons}, {"text": "  "}]
    assert plain_answer(turn) == ("已记录：2分。为了把您的意见转给能解决问题的同事，请问您不满意主要是因为："
                                  "回复1 客服服务 2 公司规定 3 网络系统 4 其他")
    assert plain_answer(turn, separator="\n").split("\n")[0] == "已记录：2分。"
    assert plain_answer([]) == ""
