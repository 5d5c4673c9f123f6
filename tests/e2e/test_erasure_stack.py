"""Erasure on request through the running servers (SQLite and PostgreSQL stacks, the session's ``live``).

A customer talks to the real stack (web app → Rasa → action server); an admin
erases them on the admin page of the running web app. Afterwards nothing the
customer said is left in any table, in Rasa's tracker (the development
profile's in-memory store, reached through Rasa's HTTP API under its lock),
or in any log file of the stack; their score and cause still count the same.
The SQL tracker store of the production profile: tests/e2e/test_production_profile.py.
"""
from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import inspect, text

from bot.db.session import open_session
from bot.scoring.board import score_period
from bot.scoring.periods import parse_period
from bot.staff import accounts
from bot.web import messages

pytestmark = pytest.mark.e2e

WORDS = "客服答应周三回电却一直没有回音"
PASSWORD = "erasure test password 1"


def _readable(value) -> str:
    if isinstance(value, str) and value[:1] in "{[":
        try:
            value = json.loads(value)
        except ValueError:
            return value
    return json.dumps(value, ensure_ascii=False) if isinstance(value, dict | list) else str(value)


def _every_value(live) -> str:
    """Every value of every column of every table of the stack's database (JSON decoded)."""
    with live.engine.connect() as conn:
        return "\n".join(json.dumps([[_readable(v) for v in row] for row in conn.execute(text(f'SELECT * FROM "{t}"'))],
                                    ensure_ascii=False) for t in inspect(conn).get_table_names())


def _logs(live) -> str:
    return "\n".join(p.read_text(errors="replace") for p in sorted(live.stack.log_dir.glob("**/*")) if p.is_file())


def _tracker(live, token: str) -> str:
    r = live.rasa_api("GET", f"/conversations/{token}/tracker?include_events=ALL")
    assert r.status_code == 200, r.text
    return json.dumps(r.json(), ensure_ascii=False)


def _figures(live, agent: str) -> tuple[int, ...]:
    with open_session(live.stack.database_url) as s:
        period = parse_period(datetime.now(UTC).strftime("%Y-%m"))
        [row] = score_period(s, period, tz="UTC", min_sample=1).rows(agent_id=agent)[:1]
        c = row.counts
        return c.invited, c.responses, c.satisfied, c.dissatisfied, c.staff_low + c.non_staff_low + c.unattributed_low


def _token(html: str) -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert m
    return m.group(1)


def test_an_erased_customer_leaves_no_trace_in_tables_tracker_or_logs(live):
    run = uuid.uuid4().hex[:8]
    agent, visitor, admin = f"PRV{run}", f"web-visitor-{run}", f"PADM{run}"
    token = live.new_survey(agents=[agent], channel="web", customer_channel_id=visitor)
    live.start(token)
    live.say(token, "2")
    live.say(token, WORDS)
    assert [r.score for r in live.ratings(token)] == [2]
    assert WORDS in _tracker(live, token)  # what the customer said reached Rasa's tracker
    assert WORDS in _every_value(live)
    assert WORDS not in _logs(live)  # never logged, before or after
    before = _figures(live, agent)
    assert before == (1, 1, 0, 1, 1)  # hand-counted: one invitation, one 2, one reason-bucketed low score

    with open_session(live.stack.database_url) as s, s.begin():
        assert accounts.do_add_staff(s, agent_id=admin, name="隐私管理员", role="admin", password=PASSWORD,
                                     actor="test", now=datetime.now(UTC)) is None
    browser = httpx.Client(base_url=live.stack.web_url, timeout=60)  # a browser of its own: its own cookies
    r = browser.post("/login", data={"login_id": admin, "password": PASSWORD,
                                     "csrf_token": _token(browser.get("/login").text)})
    assert r.status_code == 303, r.text
    page = browser.get("/admin/privacy")
    preview = browser.post("/admin/privacy/preview", data={"identity": visitor, "csrf_token": _token(page.text)})
    assert preview.status_code == 200 and WORDS not in preview.text and visitor not in preview.text.replace(
        f'value="{visitor}"', "")  # only the hidden field carries the identity back; the page shows it masked
    done = browser.post("/admin/privacy/erase", data={"identity": visitor, "why": f"客户申请 {run}", "confirm": "yes",
                                                      "csrf_token": _token(preview.text)})
    browser.close()
    assert done.status_code == 200, done.text
    assert "Rasa 对话记录（内存存储，经 Rasa 接口）：已删除" in done.text, done.text

    assert WORDS not in _tracker(live, token)
    assert '"event": "user"' not in _tracker(live, token)
    assert WORDS not in _every_value(live)
    assert visitor not in _every_value(live)
    assert WORDS not in _logs(live) and visitor not in _logs(live)
    assert _figures(live, agent) == before
    assert messages.PRIVACY_TRACKER["http"][:10] in done.text
