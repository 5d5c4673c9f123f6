"""The survey page (/surveys/{id}), the channel on the staff pages and the team page's own non-staff causes,
on SQLite and PostgreSQL.

Data: ``tests/staff_data.py`` (every call there is a web survey) plus ``tests/channel_data.py`` (an SMS survey of
A1 relabelled by a reviewer, a web survey of B1 with a non-staff cause, an unanswered WeChat survey of A2, two
reviewers, one of them on a blind appeal panel).

Channels, counted by hand: 一组 web 28 invited (A1 15, A2 3, A3 10) of which 27 answered (A1's late reply does
not count), SMS 1 of 1, WeChat 1 of 0; the centre's web 31 invited (二组 3), 30 answered. Non-staff causes: 一组 公司规定 1,
网络信号 1; 二组 公司规定 1; the centre 公司规定 2, 网络信号 1.
"""
from __future__ import annotations

import csv
import io
import re

import pytest
from openpyxl import load_workbook

from tests.channel_data import B2_QUOTE, PHONE, SMS_WORDS, add_channel_surveys
from tests.web.test_staff_pages import centre  # noqa: F401 - the fixture: the staff centre and a client factory


@pytest.fixture()
def survey_centre(centre, db_url):  # noqa: F811 - the imported fixture
    built, client = centre
    return built, client, add_channel_surveys(db_url, built)


def test_who_may_open_a_survey(survey_centre):
    _, client, ids = survey_centre
    sms, b2 = f"/surveys/{ids['sms']}", f"/surveys/{ids['b2']}"
    assert client().get(sms, follow_redirects=False).status_code == 303  # to the login page
    a1 = client("A1")
    assert a1.get(sms).status_code == 200
    assert a1.get(b2).status_code == 403 and a1.get("/surveys/999999").status_code == 403
    for agent in ("A2", "B1"):
        assert client(agent).get(sms).status_code == 403, agent
    assert client("B1").get(b2).status_code == 200
    s1 = client("S1")
    assert s1.get(sms).status_code == 200 and s1.get(b2).status_code == 403
    s2 = client("S2")
    assert s2.get(sms).status_code == 403 and s2.get(b2).status_code == 200
    adm = client("ADM")
    assert adm.get(sms).status_code == 200 and adm.get(b2).status_code == 200
    assert adm.get("/surveys/999999").status_code == 404
    assert client("R1").get(b2).status_code == 200
    for bad in ("/surveys/0", "/surveys/abc", f"/surveys/{2**40}"):
        assert adm.get(bad).status_code in (404, 422), bad


def test_the_survey_page_shows_channel_call_reasons_and_the_redacted_transcript(survey_centre):
    _, client, ids = survey_centre
    page = client("S1").get(f"/surveys/{ids['sms']}").text
    assert 'data-testid="channel">短信<' in page and "138****5678" in page
    assert "张三" in page and "sms-001" in page and "一组" in page
    # The reason history: the model's guess awaiting review, then the reviewer's label, with who and the model's view.
    reasons = page.split('class="data reasons"')[1].split("</table>")[0]
    assert reasons.index("模型判断") < reasons.index("审核员标注")
    assert "员工态度" in reasons and "系统与排队" in reasons and "孙审核" in reasons and "待审核" in reasons
    assert "v-test" in reasons and "<mark>排队</mark>" in reasons
    assert "非服务原因" in page  # the counted 2 is not the agent's fault now
    assert PHONE not in page and "[手机号]" in page and "请问是什么原因让您不满意" in page
    assert "申诉中" in page
    # The agent reads the same history without the name of who labelled it.
    own = client("A1").get(f"/surveys/{ids['sms']}").text
    assert "审核员标注" in own and "系统与排队" in own and "孙审核" not in own


def test_a_panel_member_sees_the_survey_blind(survey_centre):
    _, client, ids = survey_centre
    r = client("R2").get(f"/surveys/{ids['sms']}")
    assert r.status_code == 200
    page = r.text
    assert SMS_WORDS in page and "短信" in page and "评审团成员" in page
    for hidden in ("张三", "A1", "sms-001", "一组", "孙审核"):
        assert hidden not in page.split("</header>", 1)[-1], hidden
    # The same reviewer off the panel sees the agent.
    assert "张三" in client("R1").get(f"/surveys/{ids['sms']}").text


def test_the_feedback_list_and_its_export_show_the_channel_and_link_the_survey(survey_centre):
    _, client, ids = survey_centre
    a1 = client("A1")
    page = a1.get("/me").text
    assert f'href="/surveys/{ids["sms"]}"' in page
    row = next(r for r in page.split("<tr") if f'/surveys/{ids["sms"]}"' in r)
    assert "短信" in row and "138****5678" in row
    assert f'href="/surveys/{ids["sms"]}"' in client("S1").get("/team/agent/A1").text
    out = list(csv.reader(io.StringIO(a1.get("/export/feedback?format=csv").content.decode("utf-8-sig"))))
    header = out[0]
    by_channel = {}
    for line in out[1:]:
        cells = dict(zip(header, line, strict=True))
        by_channel[cells["渠道"]] = by_channel.get(cells["渠道"], 0) + 1
        if cells["渠道"] == "短信":
            assert cells["客户标识(脱敏)"] == "138****5678" and cells["评价编号"] == str(ids["sms"])
    assert by_channel == {"网页": 16, "短信": 1}


def channel_rows(html: str, section: str) -> dict[str, list[str]]:
    table = html.split(section, 1)[1].split('data-testid="channel-rates"', 1)[1].split("</table>", 1)[0]
    return {m.group(1): re.findall(r'<td class="num">([^<]*)</td>', m.group(2))
            for m in re.finditer(r'<tr data-channel="(\w+)">(.*?)</tr>', table)}


def test_team_and_admin_pages_show_the_response_rate_per_channel(survey_centre):
    _, client, _ = survey_centre
    team = client("S1").get("/team").text
    assert channel_rows(team, 'id="team-1"') == {"web": ["28", "27", "96.4%"], "sms": ["1", "1", "100.0%"],
                                                  "wechat": ["1", "0", "0.0%"]}
    admin = client("ADM").get("/admin").text
    assert channel_rows(admin, 'id="centre-h"') == {"web": ["31", "30", "96.8%"], "sms": ["1", "1", "100.0%"],
                                                        "wechat": ["1", "0", "0.0%"]}
    book = load_workbook(io.BytesIO(client("S1").get("/export/kpi?team=一组&format=xlsx").content))
    sheet = book["各渠道回复率-一组"]
    assert [list(r) for r in sheet.iter_rows(values_only=True)] == [
        ["渠道", "邀请数", "已评分", "回复率"], ["网页", 28, 27, round(27 / 28, 4)], ["短信", 1, 1, 1],
        ["微信", 1, 0, 0]]


def non_staff(html: str) -> dict[str, dict[str, str]]:
    table = html.split('data-testid="non-staff"', 1)[1].split("</table>", 1)[0]
    out = {}
    for m in re.finditer(r'<tr data-cause="([\w.]+)">(.*?)</tr>', table, re.S):
        out[m.group(1)] = dict(re.findall(r'data-col="([\w-]+)">(\d+)<', m.group(2)))
    return out


def test_the_team_page_shows_the_teams_own_non_staff_causes_and_the_centres_only_labelled(survey_centre):
    _, client, _ = survey_centre
    page = client("S1").get("/team").text
    figures = non_staff(page)
    assert figures["company.policy"] == {"count": "1", "previous": "0", "centre": "2", "centre-previous": "0"}
    assert figures["company.network"] == {"count": "1", "previous": "0", "centre": "1", "centre-previous": "0"}
    assert figures["company.system"]["count"] == "1"  # the reviewer's relabel of the SMS survey
    assert "非服务原因 · 一组" in page and "全中心本期" in page
    assert B2_QUOTE not in page  # another team's customer is not quoted on this team's page
    other = non_staff(client("S2").get("/team").text)
    assert other["company.policy"] == {"count": "1", "previous": "0", "centre": "2", "centre-previous": "0"}
    assert other["company.network"]["count"] == "0"
    # The admin's page is the centre's, without a side column.
    admin = client("ADM").get("/admin").text
    assert non_staff(admin)["company.policy"] == {"count": "2", "previous": "0"} and "非服务原因 · 全中心" in admin
    assert B2_QUOTE in admin
    # The export says the same.
    out = list(csv.reader(io.StringIO(client("S1").get("/export/causes?format=csv").content.decode("utf-8-sig"))))
    header = out[out.index(["非服务原因-一组"]) + 1]
    policy = dict(zip(header, next(r for r in out if r and r[0] == "公司规定"), strict=True))
    assert (policy["本期"], policy["全中心本期"]) == ("1", "2")
