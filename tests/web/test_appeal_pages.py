"""Appeal pages over HTTP on SQLite and PostgreSQL: who may see and decide what, the blind panel, CSRF.

Data: ``tests/appeal_data.py``. A1 (张三, 一组) appeals twice: their relabelled attitude reason to a panel, their
``<script>`` resolution reason to their supervisor S1.
"""
from __future__ import annotations

import random
import re
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from bot.db.session import open_session
from bot.db.staff import Appeal, AppealPanelist
from bot.domain import AppealMode
from bot.ledger import fact_table
from bot.ops.stack import free_port
from bot.settings import Settings
from bot.staff import appeals
from bot.web.app import create_app
from tests.appeal_data import build_with_reviewers
from tests.web_clients import csrf_token as token
from tests.web_clients import staff_client

CUSTOMER_WORDS = "客服态度很差，一直打断我"
AGENT_REASON = "客户嫌退款慢，这是公司规定，我一直在解释流程"


@pytest.fixture()
def site(db_url, tmp_path):
    fact_table.install()
    now = datetime.now(UTC)
    built, relabel_id = build_with_reviewers(db_url, tmp_path, now)
    with open_session(db_url) as s, s.begin():
        panel_appeal = appeals.do_file_appeal(
            s, agent_id="A1", reason_id=relabel_id, text=AGENT_REASON, now=now,
            policy=appeals.AppealPolicy(mode=AppealMode.PANEL), rng=random.Random(3)).appeal.id
        supervisor_appeal = appeals.do_file_appeal(
            s, agent_id="A1", reason_id=built.a1_script_reason, text="我第二天就回电话了", now=now,
            policy=appeals.AppealPolicy(mode=AppealMode.SUPERVISOR)).appeal.id
        panel = list(s.scalars(select(AppealPanelist.reviewer_id).where(AppealPanelist.appeal_id == panel_appeal)
                               .order_by(AppealPanelist.reviewer_id)))
    app = create_app(Settings(database_url=db_url, rasa_url=f"http://127.0.0.1:{free_port()}", env="development"))

    def client(who: str) -> TestClient:
        return staff_client(app, who)

    return db_url, client, panel_appeal, supervisor_appeal, panel



def status(db_url, appeal_id) -> str:
    with open_session(db_url) as s:
        return s.get(Appeal, appeal_id).status


def test_an_agent_sees_only_their_own_appeals_and_decides_none(site):
    db_url, client, panel_appeal, supervisor_appeal, _ = site
    a1, a2 = client("A1"), client("A2")
    for appeal_id in (panel_appeal, supervisor_appeal):
        assert a2.get(f"/appeals/{appeal_id}").status_code == 404  # somebody else's: as if it did not exist
        own = a1.get(f"/appeals/{appeal_id}")
        assert own.status_code == 200 and "申诉中" in own.text and 'action="/appeals/' not in own.text.split("</header>")[1]
        for path in ("decide", "vote"):
            r = a1.post(f"/appeals/{appeal_id}/{path}", data={"outcome": "uphold", "cause": "company.policy",
                                                               "csrf_token": token(own.text)}, follow_redirects=False)
            assert r.status_code == 303 and r.headers["location"].endswith("refused=not_allowed")
            r = a2.post(f"/appeals/{appeal_id}/{path}", data={"outcome": "uphold", "cause": "company.policy",
                                                               "csrf_token": token(a2.get("/me").text)})
            assert r.status_code == 404
        assert status(db_url, appeal_id) == "open"
    assert a2.get("/appeals").text.count("查看并决定") == 0
    assert a2.get("/appeals/escalated").status_code == 403
    assert "我的申诉（2）" in a1.get("/me").text and "我的申诉" not in a2.get("/me").text


def test_a_panel_member_sees_the_words_never_the_agent(site):
    db_url, client, panel_appeal, _, panel = site
    member = client(panel[0])
    listing = member.get("/appeals").text
    assert f"/appeals/{panel_appeal}" in listing and "张三" not in listing
    page = member.get(f"/appeals/{panel_appeal}")
    assert page.status_code == 200
    assert CUSTOMER_WORDS in page.text and AGENT_REASON in page.text
    body = re.sub(r'value="[^"]*"', "", page.text.split("</header>")[1])  # the CSRF token may contain anything
    assert "张三" not in body and "A1" not in body and "一组" not in body
    r = member.post(f"/appeals/{panel_appeal}/vote", data={"outcome": "uphold", "cause": "company.policy",
                                                          "csrf_token": token(page.text)}, follow_redirects=False)
    assert r.headers["location"].endswith("done=voted")
    assert "张三" not in re.sub(r'value="[^"]*"', "", member.get(r.headers["location"]).text.split("</header>")[1])
    # A supervisor who is not on the panel nor the decider cannot open it.
    assert client("S2" if "S2" not in panel else "R5").get(f"/appeals/{panel_appeal}").status_code == 404


def test_the_supervisor_decides_and_sees_the_state_on_the_team_page(site):
    db_url, client, _, supervisor_appeal, _ = site
    s1 = client("S1")
    assert "申诉中 2" in s1.get("/team").text  # A1's row: both appeals open
    page = s1.get(f"/appeals/{supervisor_appeal}")
    assert "张三" in page.text and "提交决定" in page.text
    r = s1.post(f"/appeals/{supervisor_appeal}/decide", data={"outcome": "reject", "note": "客户说的就是没回电",
                                                              "csrf_token": token(page.text)}, follow_redirects=False)
    assert r.headers["location"].endswith("done=decided") and status(db_url, supervisor_appeal) == "rejected"
    assert client("S2").get(f"/appeals/{supervisor_appeal}").status_code == 404
    a1 = client("A1")
    own = a1.get(f"/appeals/{supervisor_appeal}").text
    assert "申诉未成立" in own and "客户说的就是没回电" in own and "申请复核" in own
    r = a1.post(f"/appeals/{supervisor_appeal}/review", data={"text": "我有回电记录", "csrf_token": token(own)},
                follow_redirects=False)
    assert r.headers["location"].endswith("done=review") and status(db_url, supervisor_appeal) == "review"
    assert f"/appeals/{supervisor_appeal}" in client("ADM").get("/appeals/escalated").text


def test_every_appeal_form_refuses_a_missing_csrf_token(site):
    db_url, client, panel_appeal, supervisor_appeal, panel = site
    forms = [(client("S1"), f"/appeals/{supervisor_appeal}/decide", {"outcome": "reject"}),
             (client(panel[0]), f"/appeals/{panel_appeal}/vote", {"outcome": "reject"}),
             (client("ADM"), f"/appeals/{supervisor_appeal}/decide", {"outcome": "reject"}),
             (client("A1"), f"/appeals/{supervisor_appeal}/review", {"text": "请复核"}),
             (client("A1"), "/me/appeals", {"reason_id": "1", "text": "不是我"})]
    for c, path, data in forms:
        assert c.post(path, data=data).status_code == 403, path
        assert c.post(path, data={**data, "csrf_token": "forged"}).status_code == 403, path
    assert status(db_url, supervisor_appeal) == "open" and status(db_url, panel_appeal) == "open"
    with open_session(db_url) as s:
        assert s.scalar(select(AppealPanelist.vote).where(AppealPanelist.reviewer_id == panel[0])) is None
