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
        "跟你们的服务没关系，家里事多", "查不了是真的查不了，不是她不想帮我",
        "跟你们客服没关系，我跟家里人吵架了", "是我自己考砸了，跟老师和你们都没关系", "客服说得很清楚，是我没记住",
    ],
)
def test_exoneration(text):
    s = detect(text)
    assert s.exonerate and s.no_auto_staff


@pytest.mark.parametrize(
    "text",
    [
        "他说不是他的问题", "这不是我的问题", "客服自己搞错了", "凭什么怪我", "不是我自己搞错的，是她办错了",
        "客服说得不对", "客服讲得一点都不清楚",
    ],
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
        ("跟我吵起来了", "staff.attitude"),
        ("瞎说一通", "staff.competence"),
        ("放我鸽子", "staff.resolution"),
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
        "后台在升级办不了，她叫我过两天再打",  # the agent passed on a system outage
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


@pytest.mark.parametrize(
    "text", ["当天就回电话了，问题也处理好了", "跟进得很到位", "回复很及时，五星", "改签一下就办好了", "她帮我联系到司机，包找回来了"]
)
def test_praise_of_a_job_done(text):
    s = detect(text)
    assert s.praise and s.no_auto_staff


@pytest.mark.parametrize(
    "text",
    [
        "问题还没处理好", "说处理好了，结果根本没好", "回电不及时", "办好了又说不行", "她说已经改好了，可是还是错的",
        "钱到账了但是少了一百", "没找到",
    ],
)
def test_no_praise_when_the_job_is_not_done(text):
    assert not detect(text).praise


@pytest.mark.parametrize(
    "text",
    ["客服说后台出故障了查不到订单", "她电脑一直转圈，保单调不出来", "系统维护，啥也办不了", "转到另一个部门又转回来", "等了四十分钟才接通"],
)
def test_a_named_system_fault_is_asked_about_not_booked(text):
    s = detect(text)
    assert s.system_fault and s.no_auto_staff


def test_a_staff_complaint_beside_a_system_fault_still_counts():
    s = detect("系统是卡了，可她态度也太差了")
    assert s.system_fault and s.staff_cue and not s.no_auto_staff


@pytest.mark.parametrize("text", ["不知道该怪谁，反正没办好", "我也说不清是哪一步出了问题", "说不上来是谁的问题"])
def test_the_customer_cannot_tell_whose_fault_it_is(text):
    s = detect(text)
    assert s.uncertain and s.no_auto_staff and "unclear" in s.boosts


def test_a_rule_the_agent_cited_is_asked_about_not_booked():
    assert detect("客服说合同写得清清楚楚，过了期限一分不赔").no_auto_staff
    # ...unless the agent is blamed in so many words
    assert not detect("她说这是规定，说完就挂我电话").no_auto_staff


def test_a_deliberate_transfer_is_still_the_agents_doing():
    s = detect("她故意把我转到没人接的分机")
    assert s.staff_cue_cause == "staff.attitude" and not s.no_auto_staff


@pytest.mark.parametrize(
    "text",
    [
        # The agent's statement about a product, fee or rule, and the fact that proved it wrong.
        "客服跟我说这张卡没有年费，结果账单上扣了两百",
        "那个小伙子讲的是七天无理由，到了门店才知道拆封就不退",
        "工号尾号08的客服说话费积分可以抵房费，前台说根本不是这么回事",
        "她当时信誓旦旦地说包含安装费，师傅上门却要另收一百五",
        "客服说改签免费，实际上收了我20%的手续费",
    ],
)
def test_the_agents_wrong_information_is_competence(text):
    s = detect(text)
    assert s.staff_cue_cause == "staff.competence"
    assert "staff.competence" in s.boosts


@pytest.mark.parametrize(
    "text",
    [
        "客服说下午回电，结果到晚上也没人打给我",  # the agent's own promise: resolution, not wrong information
        "她说马上帮我处理，结果拖了一个礼拜",
        "我跟客服说了三遍地址，结果还是送错了",  # the customer is the one who spoke
        "他们说包邮，结果收了十块运费",  # "他们": the company, not one agent
        "客服说这是合同里的规定，结果我还是得付违约金",  # the agent conveyed a rule
        "客服说要等后台审核，结果审核又拖了三天",  # a company process
        "客服说可以退，结果系统一直报错退不了",  # a system fault, not wrong information
        "客服说得很清楚，结果是我自己没记住",
    ],
)
def test_not_wrong_information(text):
    s = detect(text)
    assert s.staff_cue_cause != "staff.competence" or "staff.competence" not in s.boosts
