"""Erasure on request and retention, on SQLite and PostgreSQL: every KPI figure unchanged, no trace of the words."""
from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, text

from bot.conversation import calls, transcripts, turns
from bot.db.session import open_session
from bot.privacy.erasure import do_erase, do_purge_older_than, export
from bot.scoring.board import score_period
from bot.scoring.periods import parse_period
from bot.settings import DEV_SESSION_SECRET
from classifiers import CauseResult

T0 = datetime(2026, 11, 10, 1, 0, tzinfo=UTC)
PHONE = "13955550123"
SECRET_WORDS = "客服小王说会回电给我却一直没有回"
STAFF = CauseResult("staff.resolution", "staff", 0.95, False, "一直没有回", "test-model")
PERIOD = parse_period("2026-11")


def _survey(url: str, call_id: str, channel_id: str, minute: int, words: str) -> str:
    at = T0 + timedelta(minutes=minute)
    with open_session(url) as s, s.begin():
        req = calls.CallRequest(call_id=call_id, agent_ids=["A1"], ended_at=at, customer_channel_id=channel_id,
                                channel="sms")
        survey, _ = calls.register_call(s, req, window_minutes=60, template_version="v1", now=at,
                                        channel_secret=DEV_SESSION_SECRET)
        token = survey.token
    for text_ in ("2", words):
        with open_session(url) as s, s.begin():
            turns.reply_turn(s, token, text_, at + timedelta(minutes=1), lambda t: STAFF,
                             channel_secret=DEV_SESSION_SECRET)
        with open_session(url) as s, s.begin():
            transcripts.append(s, calls.survey_by_token(s, token), at, customer=text_)
    return token


def _figures(url: str) -> list:
    with open_session(url) as s:
        board = score_period(s, PERIOD, tz="Asia/Shanghai", min_sample=1)
        return [repr(r) for r in board.rows()]


def _dump(url: str) -> str:
    """Every text column of every table, as one string to search."""
    with open_session(url) as s:
        out = []
        for table in ("ratings", "reasons", "flags", "chat_messages", "message_receipts", "surveys", "calls",
                      "inbound_messages", "outbound_messages", "audit_log"):
            out.append(json.dumps([list(map(str, row)) for row in s.execute(text(f"SELECT * FROM {table}"))],
                                  ensure_ascii=False))
        return "\n".join(out)


def test_erasing_one_customer_leaves_every_figure_and_removes_every_trace(db_url):
    _survey(db_url, "p1", PHONE, 0, SECRET_WORDS)
    _survey(db_url, "p2", "13800009999", 5, "排队等了四十分钟")
    before = _figures(db_url)
    with open_session(db_url) as s:
        held = export(s, PHONE, DEV_SESSION_SECRET)
    assert [r["score"] for r in held["surveys"][0]["ratings"]] == [2]
    assert SECRET_WORDS in json.dumps(held, ensure_ascii=False)
    with open_session(db_url) as s, s.begin():
        found = do_erase(s, PHONE, DEV_SESSION_SECRET, now=T0 + timedelta(days=1), actor="cli")
    assert len(found.surveys) == 1 and found.counts["reasons"] == 1 and found.counts["transcript_messages"] >= 1
    assert _figures(db_url) == before
    dump = _dump(db_url)
    assert SECRET_WORDS not in dump and "回电" not in dump
    assert "排队等了四十分钟" in dump  # the other customer's words stay
    with open_session(db_url) as s:
        audit = s.execute(text("SELECT data FROM audit_log WHERE entity = 'privacy'")).scalar_one()
    assert SECRET_WORDS not in str(audit) and PHONE not in str(audit)


def test_retention_removes_old_text_and_keeps_every_figure(db_url):
    _survey(db_url, "r1", PHONE, 0, SECRET_WORDS)
    _survey(db_url, "r2", "13800009999", 600, "排队等了四十分钟")  # ten hours later
    before = _figures(db_url)
    with open_session(db_url) as s, s.begin():
        counts = do_purge_older_than(s, T0 + timedelta(hours=5), now=T0 + timedelta(days=400))
    assert counts["reasons"] == 1 and counts["ratings"] == 1  # only the first call is past the cutoff
    assert _figures(db_url) == before
    dump = _dump(db_url)
    assert SECRET_WORDS not in dump and "排队等了四十分钟" in dump
    with open_session(db_url) as s:
        assert s.scalar(select(text("count(*)")).select_from(text("reasons"))) == 2
