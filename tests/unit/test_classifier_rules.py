"""The rule layer on its own (expectations written from the taxonomy)."""
from __future__ import annotations

import pytest

from classifiers.rules import detect, keyword_baseline


@pytest.mark.parametrize(
    "text",
    [
        "跟客服没关系，是宽带的问题", "不是客服的问题", "不怪客服", "客服已经尽力了", "不是对客服有意见", "是我自己搞错了",
        # self-blame in other words
        "怪我自己没听清楚", "我自己把身份证号填错了", "本人操作失误", "是我没表达清楚", "这事怨不得别人。",
        "跟你们的服务没关系，家里事多",
    ],
)
def test_exoneration(text):
    s = detect(text)
    assert s.exonerate and s.no_auto_staff


@pytest.mark.parametrize(
    "text", ["他说不是他的问题", "这不是我的问题", "客服自己搞错了", "凭什么怪我", "不是我自己搞错的，是她办错了"]
)
def test_not_exoneration(text):
    assert not detect(text).exonerate


@pytest.mark.parametrize(
    "text, cause",
    [
        ("态度差，而且信号也不好", "staff.attitude"),
        ("直接挂我电话", "staff.attitude"),
        ("给我办错了", "staff.competence"),
        ("说好回电没回", "staff.resolution"),
        ("小姑娘挺好的，就是业务不熟", "staff.competence"),
    ],
)
def test_staff_cues(text, cause):
    assert detect(text).staff_cue_cause == cause


@pytest.mark.parametrize(
    "text",
    [
        "具体是谁的问题我也说不清楚",  # the customer is the subject
        "答应三天内到货，一周了还没到",  # a company commitment (rule 4)
        "机器人客服答非所问",  # a bot is not an agent
        "态度不差",
        "小姑娘挺好的，就是套餐太贵",
    ],
)
def test_no_staff_cue(text):
    assert not detect(text).staff_cue


def test_misreply_and_survey_veto_auto_staff():
    assert detect("按错了，应该是5分").misreply
    assert not detect("客服给我办错了").misreply
    assert detect("天天发评价短信烦死了").survey
    assert detect("别再发了").survey
    for t in ["按错了", "别再发了", "客服很有礼貌", "小姑娘挺好的，就是套餐太贵"]:
        assert detect(t).no_auto_staff, t
    assert not detect("客服态度很差").no_auto_staff


def test_keyword_baseline():
    assert keyword_baseline("信号差") == ("company.network", "信号")
    assert keyword_baseline("不满意")[0] == "unclear"


@pytest.mark.parametrize("text", ["当天就回电话了，问题也处理好了", "跟进得很到位", "回复很及时，五星", "改签一下就办好了"])
def test_praise_of_a_job_done(text):
    s = detect(text)
    assert s.praise and s.no_auto_staff


@pytest.mark.parametrize(
    "text",
    ["问题还没处理好", "说处理好了，结果根本没好", "回电不及时", "办好了又说不行", "她说已经改好了，可是还是错的"],
)
def test_no_praise_when_the_job_is_not_done(text):
    assert not detect(text).praise
