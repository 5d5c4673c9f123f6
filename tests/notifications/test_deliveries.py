"""The notification writer and the delivery job, on SQLite and PostgreSQL, against local webhook and SMTP servers.

Nothing configured sends nothing; configured channels receive the message with
the absolute link; a refused delivery is retried on the back-off and finally
recorded ``failed`` — never ``sent``.
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.db.cases import Notification
from bot.db.models import Agent
from bot.db.notifications import Delivery
from bot.db.session import open_session
from bot.domain import NotificationKind, Role
from bot.notifications import deliveries, inbox
from bot.notifications.inbox import Target
from bot.settings import Settings
from tests.notifications.recorders import smtp_server, webhook_server

NOW = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)


def _people(url: str) -> None:
    with open_session(url) as s, s.begin():
        s.add_all([Agent(id="S1", name="王主管", role=Role.SUPERVISOR, created_at=NOW),
                   Agent(id="ADM", name="管理员", role=Role.ADMIN, created_at=NOW)])


def _notify(url: str, outbound=inbox.STAFF_CHANNELS) -> list[int]:
    with open_session(url) as s, s.begin():
        queued = inbox.do_notify(s, kind=NotificationKind.CASE_ASSIGNED, recipients=["S1", "ADM", "S1"],
                                 text="新案件 #7 已分派到班组长", now=NOW, link="/cases/7", outbound=outbound)
        return [d.id for d in queued]


def _rows(url: str) -> dict[str, Delivery]:
    with open_session(url) as s:
        return {d.channel: d for d in s.scalars(select(Delivery))}


def test_the_writer_fills_each_inbox_once_and_queues_one_delivery_per_staff_channel(db_url):
    _people(db_url)
    _notify(db_url)
    with open_session(db_url) as s:
        assert sorted((n.agent_id, n.kind, n.link) for n in s.scalars(select(Notification))) == [
            ("ADM", "case_assigned", "/cases/7"), ("S1", "case_assigned", "/cases/7")]
        assert inbox.unread_count(s, "S1") == 1
    assert {c: (d.status, d.attempts) for c, d in _rows(db_url).items()} == {
        "wecom": ("queued", 0), "dingtalk": ("queued", 0), "email": ("queued", 0)}


def test_a_rolled_back_change_notifies_nobody(db_url):
    _people(db_url)
    with open_session(db_url) as s:
        s.begin()
        inbox.do_notify(s, kind=NotificationKind.CASE_ASSIGNED, recipients=["S1"], text="x", now=NOW)
        s.rollback()
    with open_session(db_url) as s:
        assert s.scalars(select(Notification)).all() == [] and s.scalars(select(Delivery)).all() == []


def test_nothing_configured_sends_nothing_and_says_so(db_url):
    _people(db_url)
    _notify(db_url)
    assert deliveries.deliver_due(Settings(database_url_override=db_url), now=lambda: NOW) == {"skipped": 3}
    rows = _rows(db_url)
    assert {d.status for d in rows.values()} == {"skipped"} and all(d.sent_at is None for d in rows.values())
    assert rows["email"].last_error == "not configured: no SMTP server"


def test_configured_channels_receive_the_message_with_its_absolute_link(db_url):
    _people(db_url)
    _notify(db_url)
    with webhook_server() as hook, smtp_server() as (port, mails):
        settings = Settings(database_url_override=db_url, public_base_url="https://qa.centre.example",
                            notify_wecom_webhook=f"{hook.url}/wecom?key=K",
                            notify_dingtalk_webhook=f"{hook.url}/ding?access_token=T", notify_dingtalk_secret="SECxyz",
                            smtp_host="127.0.0.1", smtp_port=port, smtp_security="none", smtp_from="bot@centre.example",
                            notify_email_to_csv="qa@centre.example")
        assert deliveries.deliver_due(settings, now=lambda: NOW) == {"sent": 3}
        assert deliveries.deliver_due(settings, now=lambda: NOW + timedelta(hours=1)) == {}  # nothing twice
    by_path = {r.path: r for r in hook.received}
    assert by_path["/wecom"].body == {"msgtype": "markdown", "markdown": {
        "content": "**新案件 #7 已分派到班组长**\n\n[查看详情](https://qa.centre.example/cases/7)"}}
    assert by_path["/ding"].body["markdown"]["title"] == "新案件 #7 已分派到班组长"
    assert set(by_path["/ding"].query) == {"access_token", "timestamp", "sign"}
    [m] = mails
    assert m.rcpt_tos == ["qa@centre.example"] and m.message["Subject"] == "新案件 #7 已分派到班组长"
    assert "https://qa.centre.example/cases/7" in m.message.get_content()
    rows = _rows(db_url)
    assert {(d.status, d.attempts, d.sent_at is not None) for d in rows.values()} == {("sent", 1, True)}


def test_a_refused_delivery_is_retried_on_the_backoff_then_failed_and_never_sent(db_url):
    _people(db_url)
    _notify(db_url, outbound=[Target("wecom")])
    with webhook_server() as hook:
        hook.answer = {"errcode": 45009, "errmsg": "api freq out of limit"}
        settings = Settings(database_url_override=db_url, notify_wecom_webhook=f"{hook.url}/wecom?key=K")
        clock = NOW
        assert deliveries.deliver_due(settings, now=lambda: clock) == {"queued": 1}
        row = _rows(db_url)["wecom"]
        assert (row.status, row.attempts, row.last_error) == ("queued", 1, "errcode 45009: api freq out of limit")
        # Not due before its back-off (1 minute after the first attempt) has passed.
        clock = NOW + timedelta(seconds=59)
        assert deliveries.deliver_due(settings, now=lambda: clock) == {}
        for wait in (timedelta(minutes=1), timedelta(minutes=5)):
            clock += wait
            assert deliveries.deliver_due(settings, now=lambda at=clock: at) == {"queued": 1}
        clock += timedelta(minutes=30)
        assert deliveries.deliver_due(settings, now=lambda: clock) == {"failed": 1}
        clock += timedelta(days=1)
        assert deliveries.deliver_due(settings, now=lambda: clock) == {}  # a failed delivery is left alone
    assert len(hook.received) == 4
    row = _rows(db_url)["wecom"]
    assert (row.status, row.attempts, row.sent_at) == ("failed", 4, None)


def test_a_failure_then_success_is_sent_once(db_url):
    _people(db_url)
    _notify(db_url, outbound=[Target("wecom")])
    with webhook_server() as hook:
        settings = Settings(database_url_override=db_url, notify_wecom_webhook=f"{hook.url}/wecom?key=K")
        hook.status = 503
        assert deliveries.deliver_due(settings, now=lambda: NOW) == {"queued": 1}
        hook.status = 200
        assert deliveries.deliver_due(settings, now=lambda: NOW + timedelta(minutes=1)) == {"sent": 1}
    row = _rows(db_url)["wecom"]
    assert (row.status, row.attempts, row.last_error, len(hook.received)) == ("sent", 2, None, 2)


def test_a_claimed_delivery_is_not_taken_twice(db_url):
    _people(db_url)
    [delivery_id] = _notify(db_url, outbound=[Target("wecom")])
    settings = Settings(database_url_override=db_url)
    with open_session(db_url) as s:
        due = s.get(Delivery, delivery_id).next_attempt_at
    assert deliveries._claim(settings, delivery_id, due, NOW) is not None
    assert deliveries._claim(settings, delivery_id, due, NOW) is None  # the first claim moved it a lease ahead
