"""The weekly digest on SQLite and PostgreSQL: counts and trend checked against hand-built data, redacted quotes,
delivered to the owners' contacts (local webhook and SMTP servers) and to the admins' inboxes, once per week.

Week 2026-W49 is 2026-11-30..12-06 in Beijing; the digest runs on Monday 2026-12-07 08:05 Beijing (00:05 UTC).
Hand-built low ratings (1–3) by cause, this week / the week before:

* 产品运营部 owns company.policy (3 / 1) and company.product (1 / 2): 4 / 3, "较上周 +1（+33%）".
* 网络部 owns company.network (2 / 0): "较上周 +2（上周为 0）"; one of its texts carries a mobile number.

Traps that must not count: a company.policy reason on a score of 4 (not low), a company.policy rating of
2026-12-07 (next week), a staff.attitude rating (the agent's), and the week boundary in Beijing time (a call at
23:30 on Sunday 11-29 belongs to W48, one at 00:10 on Monday 11-30 to W49, although both are 11-29 in UTC).
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.conversation import calls
from bot.db.cases import Notification
from bot.db.jobs import JobRun
from bot.db.models import Agent
from bot.db.notifications import Delivery
from bot.db.session import open_session
from bot.domain import ATTRIBUTION, JobStatus, Role, SurveyStatus
from bot.jobs.runner import build_runner
from bot.notifications import deliveries, digest, owners
from bot.settings import Settings
from tests import rows
from tests.notifications.recorders import smtp_server, webhook_server

NOW = datetime(2026, 12, 7, 0, 5, tzinfo=UTC)
BJ = timedelta(hours=8)
PHONE = "13812345678"


def _local(y: int, m: int, d: int, h: int, mi: int = 0) -> datetime:
    """A Beijing wall-clock time as UTC."""
    return datetime(y, m, d, h, mi, tzinfo=UTC) - BJ


def _build(url: str, hook_url: str) -> None:
    n = 0
    with open_session(url) as s, s.begin():
        s.add(Agent(id="ADM", name="管理员", role=Role.ADMIN, created_at=NOW - timedelta(days=90)))

        def rated(ended: datetime, score: int, cause: str, text: str) -> None:
            nonlocal n
            n += 1
            survey, _ = calls.register_call(s, calls.CallRequest(call_id=f"d-{n}", agent_ids=["A1"], ended_at=ended),
                                            window_minutes=60, template_version="v1", now=ended)
            rating = rows.record_rating(s, survey, score, str(score), ended + timedelta(minutes=2))
            rows.set_status(s, survey, SurveyStatus.COMPLETED, ended + timedelta(minutes=3))
            rows.record_reason(s, rating, text, cause=cause, attribution=ATTRIBUTION[cause], source="customer",
                               now=ended + timedelta(minutes=3))

        # this week (W49)
        rated(_local(2026, 11, 30, 0, 10), 1, "company.policy", "退款要等十五个工作日")  # Monday 00:10 Beijing
        rated(_local(2026, 12, 2, 10), 2, "company.policy", "必须去营业厅办理太麻烦")
        rated(_local(2026, 12, 5, 15), 3, "company.policy", "销户规定太死板了")
        rated(_local(2026, 12, 3, 9), 2, "company.product", "套餐太贵了")
        rated(_local(2026, 12, 1, 11), 1, "company.network", f"家里宽带老断，我电话{PHONE}你们也不回")
        rated(_local(2026, 12, 6, 20), 2, "company.network", "信号太差")
        rated(_local(2026, 12, 4, 9), 4, "company.policy", "规定有点多")  # a 4: not low, not counted
        rated(_local(2026, 12, 4, 10), 1, "staff.attitude", "态度很差")  # the agent's: no owner's digest
        # the week before (W48)
        rated(_local(2026, 11, 29, 23, 30), 2, "company.policy", "规定太多")  # Sunday 23:30 Beijing
        rated(_local(2026, 11, 24, 9), 1, "company.product", "乱扣费")
        rated(_local(2026, 11, 25, 9), 2, "company.product", "流量不够用")
        # next week (W50): not this digest's
        rated(_local(2026, 12, 7, 7), 1, "company.policy", "又是规定")

        for cause in ("company.policy", "company.product"):
            assert owners.do_set_owner(s, owners.OwnerInput(
                cause=cause, department="产品运营部", emails="ops@example.com", webhook_kind="wecom",
                webhook_url=f"{hook_url}/wecom?key=OPS"), actor="admin:ADM", now=NOW - timedelta(days=1)) is None
        assert owners.do_set_owner(s, owners.OwnerInput(
            cause="company.network", department="网络部", emails="net@example.com, noc@example.com",
            webhook_kind="dingtalk", webhook_url=f"{hook_url}/ding?access_token=NET", webhook_secret="SECnet"),
            actor="admin:ADM", now=NOW - timedelta(days=1)) is None


def test_the_digest_counts_trends_quotes_and_delivers_once(db_url):
    with webhook_server() as hook, smtp_server() as (port, mails):
        _build(db_url, hook.url)
        with open_session(db_url) as s:
            built = {d.department: d for d, _ in digest.build_digests(s, digest.last_full_week(NOW, "Asia/Shanghai"),
                                                                        "Asia/Shanghai")}
        ops, net = built["产品运营部"], built["网络部"]
        assert (ops.week, ops.previous_week, ops.link) == ("2026-W49", "2026-W48", "/admin?period=2026-W49")
        assert [(c.cause, c.count, c.previous) for c in ops.causes] == [("company.policy", 3, 1),
                                                                         ("company.product", 1, 2)]
        assert (ops.total, ops.previous_total) == (4, 3)
        assert [(c.cause, c.count, c.previous) for c in net.causes] == [("company.network", 2, 0)]
        assert sorted(ops.causes[0].quotes) == sorted(["退款要等十五个工作日", "必须去营业厅办理太麻烦", "销户规定太死板了"])
        assert "家里宽带老断，我电话[手机号]你们也不回" in net.causes[0].quotes

        summary, body = digest.render(ops)
        assert summary == "每周摘要 2026-W49｜产品运营部：本周 4 条，较上周 +1（+33%）"
        assert "- 公司规定：本周 3 条，上周 1 条，较上周 +2（+200%）" in body
        assert "- 产品与价格：本周 1 条，上周 2 条，较上周 -1（-50%）" in body
        assert body.count("> 「") == 3
        assert digest.render(net)[0] == "每周摘要 2026-W49｜网络部：本周 2 条，较上周 +2（上周为 0）"

        with open_session(db_url) as s, s.begin():
            assert digest.do_queue_digests(s, NOW, "Asia/Shanghai") == ["产品运营部", "网络部"]
        with open_session(db_url) as s, s.begin():
            assert digest.do_queue_digests(s, NOW + timedelta(hours=2), "Asia/Shanghai") == []  # once a week
        with open_session(db_url) as s:
            inbox_rows = s.scalars(select(Notification).order_by(Notification.id)).all()
            assert [(n.agent_id, n.kind, n.link) for n in inbox_rows] == [
                ("ADM", "digest", "/admin?period=2026-W49"), ("ADM", "digest", "/admin?period=2026-W49")]
            assert sorted((d.channel, d.address) for d in s.scalars(select(Delivery))) == [
                ("dingtalk", None), ("email", "net@example.com"), ("email", "noc@example.com"),
                ("email", "ops@example.com"), ("wecom", None)]

        settings = Settings(database_url_override=db_url, smtp_host="127.0.0.1", smtp_port=port,
                            smtp_security="none", smtp_from="bot@centre.example")
        assert deliveries.deliver_due(settings, now=lambda: NOW) == {"sent": 5}

    by_path = {r.path: r for r in hook.received}
    assert by_path["/wecom"].query == {"key": ["OPS"]}
    assert "本周 4 条" in by_path["/wecom"].body["markdown"]["content"]
    assert set(by_path["/ding"].query) == {"access_token", "timestamp", "sign"}
    assert "[手机号]" in by_path["/ding"].body["markdown"]["text"]
    assert sorted(r for m in mails for r in m.rcpt_tos) == ["net@example.com", "noc@example.com", "ops@example.com"]
    everything = " ".join([str(r.body) for r in hook.received] + [m.message.get_content() for m in mails])
    assert PHONE not in everything  # never a customer's unredacted words
    assert "态度很差" not in everything and "又是规定" not in everything and "规定有点多" not in everything


def test_the_digest_job_is_recorded_like_the_other_jobs(db_url, tmp_path):
    settings = Settings(database_url_override=db_url, jobs_sqlite_path_override=tmp_path / "jobs.sqlite3")
    run_id = build_runner(settings, immediate=True).enqueue("weekly_digest")
    with open_session(db_url) as s:
        run = s.get(JobRun, run_id)
        assert (run.job, run.status, run.attempts) == ("weekly_digest", JobStatus.SUCCEEDED, 1)
