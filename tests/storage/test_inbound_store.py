"""A provider's push stored in one statement: each message once, a repeat never, the text redacted (both databases)."""
from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from bot.channels.inbox import Identity, Received, do_store_push
from bot.db.channels import InboundMessage
from bot.db.connection import autocommit_engine_for
from bot.db.session import open_session

AT = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
ALICE = Identity("sms", "13900001111", "k" * 64, "139****1111")
BOB = Identity("sms", "13900002222", "j" * 64, "139****2222")


def _msg(who: Identity, key: str, text: str) -> Received:
    return Received(who, "aliyun", key, text, AT, AT, None)


def test_a_push_is_stored_once_per_message_and_a_redelivery_stores_nothing(db_url):
    engine = autocommit_engine_for(db_url)
    first = [_msg(ALICE, "aliyun:1", "2"), _msg(BOB, "aliyun:2", "客服态度差，回电13912345678"),
             _msg(ALICE, "aliyun:1", "2")]  # the provider put one message twice in the same push
    stored = do_store_push(engine, first)
    assert [m.dedupe_key for _, m in stored] == ["aliyun:1", "aliyun:2"]
    assert stored[0][0] < stored[1][0]
    # The provider redelivers the push with one new message: only the new one is stored and returned.
    again = do_store_push(engine, [*first, _msg(BOB, "aliyun:3", "5")])
    assert [m.dedupe_key for _, m in again] == ["aliyun:3"]
    assert do_store_push(engine, []) == []
    with open_session(db_url) as s:
        rows = {r.dedupe_key: r for r in s.scalars(select(InboundMessage))}
    assert sorted(rows) == ["aliyun:1", "aliyun:2", "aliyun:3"]
    assert {k: (r.channel_hash, r.status, r.survey_id) for k, r in rows.items()} == {
        "aliyun:1": ("k" * 64, "queued", None), "aliyun:2": ("j" * 64, "queued", None),
        "aliyun:3": ("j" * 64, "queued", None)}
    assert "13912345678" not in rows["aliyun:2"].text and "客服态度差" in rows["aliyun:2"].text
