"""The response table of the dialogue agrees with domain.yml and says what it promises."""
from __future__ import annotations

from pathlib import Path

from ruamel.yaml import YAML

from bot.dialogue import answers

ROOT = Path(__file__).resolve().parents[2]
RESPONSES = YAML(typ="safe").load((ROOT / "domain.yml").read_text(encoding="utf-8"))["responses"]


def _text(name: str) -> str:
    return RESPONSES[name][0]["text"]


def test_every_named_response_exists():
    named = {*answers.QUESTION_RESPONSES.values(), *answers.REASK_RESPONSES, "utter_offer_correction",
             "utter_thanks_reason", "utter_thanks_high"}
    assert named <= set(RESPONSES)


def test_each_question_answer_ends_by_asking_for_the_score():
    for name in answers.QUESTION_RESPONSES.values():
        assert "1-5" in _text(name) or "1 to 5" in _text(name), name


def test_honest_answers():
    assert "自动" in _text("utter_answer_human")
    assert "热线" in _text("utter_answer_genuine") and "验证码" in _text("utter_answer_genuine")
    assert "跟进" in _text("utter_answer_followup")


def test_reasks_vary_and_the_second_explains_differently():
    first, second = (answers.reask_response(i) for i in (0, 1))
    assert first != second and answers.reask_response(5) == second
    variants = [v["text"] for v in RESPONSES[first]]
    assert len(set(variants)) == len(variants) >= 2
    assert _text(second) not in variants and "通电话" in _text(second)


def test_closing_echoes_the_score_and_offers_a_correction_for_words():
    assert answers.closing_responses("utter_thanks_reason", 3, inferred=False) == [
        ("utter_thanks_reason", {"score": 3})]
    assert "已记录：{score}分" in _text("utter_thanks_reason") and "已记录：{score}分" in _text("utter_thanks_high")
    said = answers.closing_responses("utter_thanks_high", 4, inferred=True)
    assert said == [("utter_thanks_high", {"score": 4}), ("utter_offer_correction", {})]
    assert "更正" in _text("utter_offer_correction")
