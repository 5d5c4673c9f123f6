"""Hard reply kinds (contradictions, dialect, corrections, scores in words), each with several phrasings of our own (the benchmark set holds others).

Expected values follow the contract in ``bot.rating.parser`` and are written by hand.
"""
from __future__ import annotations

import pytest

from bot.rating import parse_reply


def _got(text: str) -> tuple[int | None, str]:
    r = parse_reply(text)
    return r.score, r.kind


@pytest.mark.parametrize("text", [
    "我给4分或者5分", "2分到3分之间吧", "四分还是五分呢", "1分或者2分都行", "3 或 4 分", "给个4~5分",
    "5分要么4分", "三分到四分",
])
def test_two_different_scores_are_ambiguous(text):
    assert _got(text) == (None, "unparseable")


@pytest.mark.parametrize(("text", "score"), [
    ("我先打2分 算了 还是给4分吧", 4), ("5分，不对，应该是3分", 3), ("不是1分，是5分", 5), ("是5分不是1分", 5),
    ("给3 啊不 给2", 2), ("4分 说错了 是5分", 5), ("按成1了，本来想给5", 5), ("3分 哦不对 2分", 2),
    ("更正为4分", 4),
])
def test_self_correction_inside_one_message_gives_the_final_score(text, score):
    assert _got(text) == (score, "correction")


@pytest.mark.parametrize(("text", "topic"), [
    ("这条信息是你们发的吗", "genuine"), ("这链接不会是钓鱼网站吧", "genuine"), ("你们是正规公司吗？", "genuine"),
    ("我怎么确认你们是真的移动客服", "genuine"),
    ("你是真人还是机器", "human"), ("我想转人工", "human"), ("是不是自动回复啊", "human"),
    ("Am I talking to a robot?", "human"),
    ("我的补偿款什么时候能到", "followup"), ("能不能帮我催一下维修", "followup"), ("报修的进度怎么样了", "followup"),
    ("Can I answer in English?", "language"), ("我只会讲广东话", "language"), ("English?", "language"),
    ("5分是最高分吗", "scale"), ("回1是什么意思", "scale"),
])
def test_questions_carry_their_topic(text, topic):
    r = parse_reply(text)
    assert (r.score, r.kind, r.topic) == (None, "question", topic)


def test_a_score_with_a_question_is_still_a_score():
    assert _got("2分，我的退款到底什么时候到账？") == (2, "rating")


@pytest.mark.parametrize(("text", "score"), [
    ("Five", 5), ("two.", 2), ("I'd give it a four", 4), ("4 stars", 4), ("2 out of 5", 2), ("3/5", 3),
    ("outstanding", 5), ("good", 4), ("average service", 3), ("disappointed", 2), ("awful experience", 1),
    ("very good, thank you", 5), ("One star, nobody called back", 1),
])
def test_english_replies_follow_the_same_conventions(text, score):
    assert _got(text) == (score, "rating")


@pytest.mark.parametrize("text", ["it took two months", "not bad", "ok", "hello there", "thank you"])
def test_english_without_a_score_is_not_scored(text):
    assert _got(text)[0] is None


@pytest.mark.parametrize(("text", "score"), [
    ("唔满意", 2), ("唔系好满意啊", 2), ("唔係幾滿意", 2), ("好唔滿意", 1), ("几满意", 4), ("麻麻地啦", 3),
    ("畀3分", 3), ("服務好差", 1),
])
def test_cantonese_wording(text, score):
    assert _got(text) == (score, "rating")


@pytest.mark.parametrize("text", ["唔满意", "唔係好滿意", "好唔满意", "都唔系好满意", "唔系几满意"])
def test_negated_satisfied_is_never_satisfied(text):
    score = parse_reply(text).score
    assert score is not None and score <= 2


@pytest.mark.parametrize("text", ["冇问题", "冇問題啊", "唔该晒"])
def test_cantonese_acknowledgements_give_no_score(text):
    assert _got(text) == (None, "unparseable")


@pytest.mark.parametrize(("text", "score", "kept"), [
    ("给3分 少扣了我两天的利息", 3, "少扣了我两天的利息"),
    ("2分，寄了3个包裹丢了1个", 2, "寄了3个包裹丢了1个"),
    ("1分 等了两个星期", 1, "等了两个星期"),
    ("4分 我买了2份保险", 4, "我买了2份保险"),
    ("2，转了3次才接通", 2, "转了3次才接通"),
    ("3分，说是5个工作日到，结果拖到了第8天", 3, None),
])
def test_leading_score_keeps_a_reason_with_other_numbers(text, score, kept):
    r = parse_reply(text)
    assert (r.score, r.kind) == (score, "rating")
    if kept:
        assert r.reason == kept


@pytest.mark.parametrize("text", [
    "app太难用", "你们这个app很差", "信号真的太差了", "这里网络好差", "小程序太差劲", "营业厅的环境太差",
    "包装质量很差", "物流速度太差",
])
def test_a_bad_word_about_something_else_invents_no_score(text):
    r = parse_reply(text)
    assert (r.score, r.kind) == (None, "unparseable") and r.reason


@pytest.mark.parametrize(("text", "score"), [
    ("很差", 1), ("太差了", 1), ("客服太差了", 1), ("服务态度非常差", 1), ("这次体验很差", 1),
    ("信号太差 1分", 1), ("你们服务真差", 1),
])
def test_a_bad_word_about_the_service_still_rates(text, score):
    assert _got(text) == (score, "rating")


@pytest.mark.parametrize(("text", "inferred"), [
    ("满意", True), ("excellent", True), ("一般般", True), ("4", False), ("五星", False), ("★★★", False),
    ("4 满意", False),
])
def test_inferred_marks_scores_from_words_alone(text, inferred):
    assert parse_reply(text).inferred is inferred
