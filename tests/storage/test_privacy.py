"""Erasure on request and retention, on SQLite and PostgreSQL: every KPI figure unchanged, no trace of the words."""
from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import DBAPIError

from bot.channels.identity import IdentityError
from bot.conversation import calls, transcripts, turns
from bot.db.connection import make_engine
from bot.db.session import open_session
from bot.privacy.erasure import do_erase, do_export, do_purge_older_than, export, preview, read_identity
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
    dump = _every_value(db_url)
    assert SECRET_WORDS not in dump and "回电" not in dump
    assert "排队等了四十分钟" in dump  # the other customer's words stay
    with open_session(db_url) as s:
        audit = s.execute(text("SELECT data FROM audit_log WHERE entity = 'privacy'")).scalar_one()
    assert SECRET_WORDS not in _readable(audit) and PHONE not in _readable(audit)


def test_retention_removes_old_text_and_keeps_every_figure(db_url):
    _survey(db_url, "r1", PHONE, 0, SECRET_WORDS)
    _survey(db_url, "r2", "13800009999", 600, "排队等了四十分钟")  # ten hours later
    before = _figures(db_url)
    with open_session(db_url) as s, s.begin():
        counts = do_purge_older_than(s, T0 + timedelta(hours=5), now=T0 + timedelta(days=400))
    assert counts["reasons"] == 1 and counts["ratings"] == 1  # only the first call is past the cutoff
    assert _figures(db_url) == before
    dump = _every_value(db_url)
    assert SECRET_WORDS not in dump and "排队等了四十分钟" in dump
    with open_session(db_url) as s:
        assert s.scalar(select(text("count(*)")).select_from(text("reasons"))) == 2


# --- erasure on request: hand-built figures, every table scanned, what the admin page previews ---------------

OTHER = "13800009999"
NON_STAFF = CauseResult("company.policy", "non_staff", 0.95, False, "退款规定", "test-model")


def _classify(text_: str) -> CauseResult:
    return STAFF if "回电" in text_ else NON_STAFF


def _rated(url: str, call_id: str, agent: str, channel_id: str, minute: int, replies: tuple[str, ...]) -> str:
    at = T0 + timedelta(minutes=minute)
    with open_session(url) as s, s.begin():
        req = calls.CallRequest(call_id=call_id, agent_ids=[agent], ended_at=at, customer_channel_id=channel_id,
                                channel="sms", channel_masked=f"{channel_id[:3]}****{channel_id[-4:]}")
        survey, _ = calls.register_call(s, req, window_minutes=60, template_version="v1", now=at,
                                        channel_secret=DEV_SESSION_SECRET)
        token = survey.token
    for text_ in replies:
        with open_session(url) as s, s.begin():
            turns.reply_turn(s, token, text_, at + timedelta(minutes=1), _classify, channel_secret=DEV_SESSION_SECRET)
        with open_session(url) as s, s.begin():
            transcripts.append(s, calls.survey_by_token(s, token), at, customer=text_)
    return token


def _counts(url: str) -> dict[str, tuple[int, ...]]:
    """(invited, responses, satisfied, neutral, dissatisfied, staff_low, non_staff_low) per agent and the centre."""
    with open_session(url) as s:
        board = score_period(s, PERIOD, tz="Asia/Shanghai", min_sample=1)
    out = {}
    for row in [*board.agents, board.centre]:
        c = row.counts
        out[row.id] = (c.invited, c.responses, c.satisfied, c.neutral, c.dissatisfied, c.staff_low, c.non_staff_low)
    return out


def _readable(value) -> str:
    """A column's value as text, JSON decoded (SQLite keeps JSON as text with ``\\uXXXX`` escapes)."""
    if isinstance(value, str) and value[:1] in "{[":
        try:
            value = json.loads(value)
        except ValueError:
            return value
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _every_value(url: str) -> str:
    """Every value of every column of every table in the database (ours, the job log, Alembic's), as one string."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            tables = inspect(conn).get_table_names()
            assert {"ratings", "reasons", "chat_messages", "calls", "audit_log", "survey_facts"} <= set(tables)
            return "\n".join(f"{t}: " + json.dumps([[_readable(v) for v in row] for row in
                                                    conn.execute(text(f'SELECT * FROM "{t}"'))], ensure_ascii=False)
                             for t in tables)
    finally:
        engine.dispose()


# Hand-counted from the calls below: A1 has the customer's 2 (staff: promised call-back) and 1 (refund rules,
# not the agent), and the other customer's 5; A2 has the other customer's 2 (rules). 4-5 satisfied, 3 neutral.
EXPECTED = {
    "A1": (3, 3, 1, 0, 2, 1, 1),
    "A2": (1, 1, 0, 0, 1, 0, 1),
    "centre": (4, 4, 1, 0, 3, 1, 2),
}


def test_erasure_keeps_the_hand_counted_figures_and_leaves_no_trace_in_any_table(db_url):
    _rated(db_url, "k1", "A1", PHONE, 0, ("2", SECRET_WORDS))
    _rated(db_url, "k2", "A1", PHONE, 10, ("1", "退款规定要等十五个工作日"))
    _rated(db_url, "k3", "A1", OTHER, 20, ("5",))
    _rated(db_url, "k4", "A2", OTHER, 30, ("2", "退款规定太死板了"))
    assert _counts(db_url) == EXPECTED
    with open_session(db_url) as s:
        held = preview(s, PHONE, DEV_SESSION_SECRET)
    assert len(held.surveys) == 2
    assert held.counts["reasons"] == 2 and held.counts["ratings"] == 2 and held.counts["identities"] == 2
    assert held.counts["transcript_messages"] == 4
    before = _every_value(db_url)
    assert SECRET_WORDS in before and "139****0123" in before  # (the number itself is stored only as a keyed hash)

    with open_session(db_url) as s, s.begin():
        found = do_erase(s, PHONE, DEV_SESSION_SECRET, now=T0 + timedelta(days=1), actor="admin:ADM", why="申请 42 号")
    assert {k: found.counts[k] for k in held.counts} == held.counts  # the preview announced what was erased

    assert _counts(db_url) == EXPECTED
    after = _every_value(db_url)
    for trace in (SECRET_WORDS, "回电", "十五个工作日", PHONE, "139****0123"):
        assert trace not in after, trace
    assert "退款规定太死板了" in after and "138****9999" in after  # the other customer's stay
    with open_session(db_url) as s:
        again = preview(s, PHONE, DEV_SESSION_SECRET)
        row = s.execute(text("SELECT actor, data FROM audit_log WHERE action = 'erased'")).one()
    assert len(again.surveys) == 2 and not any(again.counts.values())  # found (anonymous), nothing left
    data = json.loads(row.data) if isinstance(row.data, str) else row.data
    assert row.actor == "admin:ADM" and data["why"] == "申请 42 号" and data["reasons"] == 2


def test_export_is_audited_without_content(db_url):
    _rated(db_url, "e1", "A1", PHONE, 0, ("2", SECRET_WORDS))
    with open_session(db_url) as s, s.begin():
        held = do_export(s, PHONE, DEV_SESSION_SECRET, now=T0, actor="admin:ADM")
    assert SECRET_WORDS in json.dumps(held, ensure_ascii=False)
    with open_session(db_url) as s:
        data = _readable(s.execute(text("SELECT data FROM audit_log WHERE action = 'exported'")).scalar_one())
    assert SECRET_WORDS not in data and PHONE not in data and "survey_count" in data


@pytest.mark.parametrize(("typed", "value", "masked"), [
    ("+86 139-5555-0123", PHONE, "139****0123"),
    ("0086 13955550123", PHONE, "139****0123"),
    ("oAbCdEfGhIjKlMnOpQrStUvWxYz0", "oAbCdEfGhIjKlMnOpQrStUvWxYz0", "oAbC…Yz0"),
    ("  web-visitor-8812 ", "web-visitor-8812", "we…12"),
])
def test_a_typed_identity_is_read_as_calls_store_it(typed, value, masked):
    who = read_identity(typed)
    assert (who.value, who.masked) == (value, masked)


@pytest.mark.parametrize(("typed", "message"), [
    ("", "请输入客户的手机号码"),
    ("12345678", "不是有效的中国大陆手机号码"),
    ("+1 415 555 0100", "仅支持中国大陆手机号码"),
    ("x" * 129, "最多 128 个字符"),
])
def test_a_bad_identity_is_refused_in_chinese(typed, message):
    with pytest.raises(IdentityError) as caught:
        read_identity(typed)
    assert message in caught.value.message_zh


def test_a_database_error_never_prints_the_customers_words(db_url, caplog):
    """Bound values are hidden and PostgreSQL's ``DETAIL: Failing row contains (…)`` line is dropped."""
    token = _rated(db_url, "l1", "A1", PHONE, 0, ("2",))
    with open_session(db_url) as s:
        survey_id = calls.survey_by_token(s, token).id
        with pytest.raises(DBAPIError) as caught:
            s.execute(text("INSERT INTO chat_messages (survey_id, sender, text, created_at) "
                           "VALUES (:sid, NULL, :words, :at)"), {"sid": survey_id, "words": SECRET_WORDS, "at": T0})
        s.rollback()
    logging.getLogger("bot.conversation.gateway").error("transcript of %s not stored: %s", token[:6], caught.value,
                                                        exc_info=caught.value)
    assert "chat_messages" in caplog.text  # the error is logged, statement and all
    assert SECRET_WORDS not in caplog.text and SECRET_WORDS not in str(caught.value.orig)
