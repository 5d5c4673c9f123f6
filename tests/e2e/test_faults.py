"""Faults against the real production profile: two Rasa and two action servers behind HAProxy.

Servers killed mid-survey, PostgreSQL connections terminated during writes,
the same message delivered twice, two tabs sending at once. After each: every
rating stored exactly once, and the customer told the truth (asked to resend
when nothing was stored).
"""
from __future__ import annotations

import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from bot.domain import RatingStatus, SurveyStatus
from bot.web import messages
from tests.live import Live
from tests.production import production_services, require_services

pytestmark = [pytest.mark.e2e, pytest.mark.services, pytest.mark.slow]

ASK_REASON = "方便说说主要是哪里让您不满意"
THANKS_REASON = "您的意见已记录"
THANKS_HIGH = "感谢您的认可"


@pytest.fixture(scope="module")
def prod(pg_url, tmp_path_factory):
    require_services()
    from bot.ops.production import ProductionStack

    with production_services() as env:
        stack = ProductionStack(database_url=pg_url, log_dir=tmp_path_factory.mktemp("faults") / "log",
                                extra_env=env, rasa_count=2, action_count=2).start()
        live = Live(stack)
        try:
            yield live
        finally:
            live.close()
            stack.stop()


def send(live: Live, token: str, text: str, message_id: str | None = None) -> tuple[int, list[str]]:
    """One customer message through the web app, as chat.js sends it."""
    r = live.http.post(f"/api/chat/{token}", json={"message": text, "message_id": message_id or str(uuid.uuid4())})
    return r.status_code, texts_of(r)


def texts_of(r: httpx.Response) -> list[str]:
    assert r.headers.get("content-type") == "application/json", (r.status_code, r.text)  # never a bare 500
    return [m["text"] for m in r.json()["messages"]]


def send_until_delivered(live: Live, token: str, text: str | None, attempts: int = 8) -> list[str]:
    """Send (``None``: open the chat), and on failure resend with the same message id, as chat.js would."""
    mid = str(uuid.uuid4())
    status, texts = 0, []
    for _ in range(attempts):
        try:
            if text is None:
                r = live.http.post(f"/api/chat/{token}/start")
                status, texts = r.status_code, texts_of(r)
            else:
                status, texts = send(live, token, text, mid)
        except httpx.HTTPError:
            status, texts = 0, []
        if status == 200:
            return texts
        time.sleep(0.3)
    raise AssertionError(f"{text!r} not delivered after {attempts} attempts (last: {status} {texts})")


def requests_per_server(live: Live) -> dict[str, int]:
    return {name: int(row["stot"]) for name, row in live.stack.server_stats().items()
            if name.split("/")[0] in ("rasa", "actions")}


def test_a_survey_alternating_between_servers_completes(prod):
    health = prod.http.get("/healthz").json()
    assert health["ok"] and {c["name"] for c in health["checks"]} == {"database", "rasa", "worker"}
    for port in prod.stack.action_ports:
        assert httpx.get(f"http://127.0.0.1:{port}/ready").json()["ok"] is True
    before = requests_per_server(prod)
    token = prod.new_survey()
    assert prod.start(token)
    assert any(ASK_REASON in t for t in prod.say(token, "2"))
    assert any(THANKS_REASON in t for t in prod.say(token, "等了四十分钟才有人接，排队太久了"))
    after = requests_per_server(prod)
    used = {name: after[name] - before.get(name, 0) for name in after}
    # Three turns, round robin over two servers of each kind: both served.
    assert all(used[f"rasa/rasa-{i}"] >= 1 for i in (0, 1)), used
    assert all(used[f"actions/actions-{i}"] >= 1 for i in (0, 1)), used
    [rating] = prod.ratings(token)
    assert rating.score == 2 and len(rating.reasons) == 1
    assert prod.survey(token).status == SurveyStatus.COMPLETED


def test_the_funnel_is_recorded_from_rasas_events_on_rabbitmq(prod):
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from bot.db.funnel import FunnelEvent
    from bot.ops import funnel_consumer

    done, invited_only, rated_high = prod.new_survey(), prod.new_survey(), prod.new_survey()
    prod.start(done)
    prod.say(done, "2")
    prod.say(done, "等了四十分钟才有人接，排队太久了")
    prod.start(rated_high)
    prod.say(rated_high, "5")
    env = prod.stack.extra_env
    stored = funnel_consumer.consume(prod.stack.database_url, host=env["RABBITMQ_HOST"], port=5672, user=env["RABBITMQ_USER"],
                            password=env["RABBITMQ_PASSWORD"], queue=env["RABBITMQ_QUEUE"], idle_stop_s=2.0)
    assert stored >= 4 + 3
    with Session(prod.engine) as s:
        # A step may be shown by several events (counted once per survey by the report).
        steps = {token: sorted(set(s.scalars(select(FunnelEvent.step).where(FunnelEvent.survey_token == token))))
                 for token in (done, invited_only, rated_high)}
    assert steps == {done: ["completed", "opened", "rated", "reason"], invited_only: [],
                     rated_high: ["completed", "opened", "rated"]}


def test_the_same_message_twice_is_stored_once_and_answered_alike(prod):
    token = prod.new_survey()
    prod.start(token)
    mid = str(uuid.uuid4())
    first = send(prod, token, "2", mid)
    again = send(prod, token, "2", mid)
    assert first[0] == again[0] == 200
    assert any(ASK_REASON in t for t in first[1])
    assert again[1] == first[1]  # the customer is told what was recorded
    assert [r.score for r in prod.ratings(token)] == [2]
    # The transcript (what a reload shows) holds the message and its answer once.
    history = prod.http.get(f"/api/chat/{token}/history").json()["messages"]
    assert [m["text"] for m in history if m["sender"] == "customer"] == ["2"]
    assert sum(ASK_REASON in m["text"] for m in history) == 1
    # The conversation went on from where the first delivery left it.
    assert any(THANKS_REASON in t for t in prod.say(token, "客服一直打断我说话，态度很差"))
    assert len(prod.reasons(token)) == 1


def test_a_duplicate_delivered_concurrently_is_stored_once(prod):
    token = prod.new_survey()
    prod.start(token)
    mid = str(uuid.uuid4())
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: send(prod, token, "5", mid), range(4)))
    assert [status for status, _ in results] == [200] * 4
    assert all(any(THANKS_HIGH in t for t in texts) for _, texts in results), results
    assert [r.score for r in prod.ratings(token)] == [5]
    assert prod.survey(token).status == SurveyStatus.COMPLETED
    history = prod.http.get(f"/api/chat/{token}/history").json()["messages"]
    assert [m["text"] for m in history if m["sender"] == "customer"] == ["5"]


def test_two_tabs_sending_at_once_store_one_rating(prod):
    token = prod.new_survey()
    prod.start(token)
    barrier = threading.Barrier(2)

    def tab(score: str):
        barrier.wait()
        return score, send(prod, token, score, str(uuid.uuid4()))

    with ThreadPoolExecutor(2) as pool:
        results = dict(pool.map(tab, ["4", "5"]))
    [rating] = prod.ratings(token)
    assert rating.status == RatingStatus.VALID and str(rating.score) in results
    assert prod.survey(token).status == SurveyStatus.COMPLETED
    # The tab whose score was recorded was thanked; the other was told the survey is over.
    winner, loser = results[str(rating.score)], results[next(s for s in results if s != str(rating.score))]
    assert winner[0] == 200 and any(THANKS_HIGH in t for t in winner[1])
    assert loser[0] == 200 and any("本次评价已经结束" in t for t in loser[1]), loser


def test_terminated_database_connections_lose_and_double_nothing(prod):
    import psycopg

    from tests.conftest import PG_ADMIN_URL

    dbname = prod.stack.database_url.rsplit("/", 1)[1]
    tokens = [prod.new_survey() for _ in range(12)]
    stop = threading.Event()
    killed = [0]

    def terminator() -> None:
        # A turn's transaction lasts a few milliseconds: look every 5 ms and kill
        # an action server's backend inside a transaction (a write cut off
        # mid-way), then let the next attempts through for a tenth of a second;
        # every quarter second kill every idle backend too (connections dropped
        # in the pools of all servers).
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
            last_idle_sweep = time.monotonic()
            while not stop.is_set():
                rows = admin.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s "
                    "AND application_name LIKE 'feedbackbot-actions-%%' "
                    "AND state IN ('active', 'idle in transaction')", (dbname,)).fetchall()
                if time.monotonic() - last_idle_sweep > 0.25:
                    rows += admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                          "WHERE datname = %s AND pid <> pg_backend_pid() AND state = 'idle'",
                                          (dbname,)).fetchall()
                    last_idle_sweep = time.monotonic()
                hits = sum(1 for (ok,) in rows if ok)
                killed[0] += hits
                time.sleep(0.1 if hits else 0.005)

    def survey(token: str) -> None:
        send_until_delivered(prod, token, None)
        send_until_delivered(prod, token, "2")
        send_until_delivered(prod, token, "系统老是卡住，页面一直打不开")

    log_before = sum(len(prod.stack.tail(f"actions-{i}", 10**7)) for i in (0, 1))
    killer = threading.Thread(target=terminator, daemon=True)
    killer.start()
    try:
        with ThreadPoolExecutor(6) as pool:
            list(pool.map(survey, tokens))
    finally:
        stop.set()
        killer.join(5)
    assert killed[0] > 0
    for token in tokens:
        [rating] = prod.ratings(token)  # nothing lost, nothing doubled
        assert rating.score == 2 and rating.status == RatingStatus.VALID
        assert len(rating.reasons) == 1
        assert prod.survey(token).status == SurveyStatus.COMPLETED
    logs = "".join(prod.stack.tail(f"actions-{i}", 10**7) for i in (0, 1))
    assert len(logs) > log_before and "retrying survey turn" in logs  # the action server did retry


def test_action_servers_killed_mid_survey_customer_told_to_resend(prod):
    token = prod.new_survey()
    prod.start(token)
    assert any(ASK_REASON in t for t in prod.say(token, "1"))
    for i in (0, 1):
        prod.stack.kill(f"actions-{i}")
    mid = str(uuid.uuid4())
    status, texts = send(prod, token, "业务员承诺的优惠根本没兑现", mid)
    assert status == 503 and texts == [messages.RESEND]
    assert all(len(r.reasons) == 0 for r in prod.ratings(token))  # nothing half-stored
    prod.stack.wait_balanced(timeout=20, down=("actions-0", "actions-1"))
    for i in (0, 1):
        prod.stack.restart(f"actions-{i}")
    prod.stack.wait_balanced(timeout=60)
    status, texts = send(prod, token, "业务员承诺的优惠根本没兑现", mid)
    assert status == 200 and any(THANKS_REASON in t for t in texts), texts
    [rating] = prod.ratings(token)
    assert rating.score == 1 and len(rating.reasons) == 1
    assert prod.survey(token).status == SurveyStatus.COMPLETED


def test_a_rasa_server_killed_mid_survey_the_other_completes_it(prod):
    token = prod.new_survey()
    prod.start(token)
    assert any(ASK_REASON in t for t in prod.say(token, "3"))
    prod.stack.kill("rasa-0")
    # No waiting for HAProxy's health check: a refused connection is retried on the other server.
    status, texts = send(prod, token, "等了四十分钟才有人接，排队太久了")
    assert status == 200 and any(THANKS_REASON in t for t in texts), texts
    [rating] = prod.ratings(token)
    assert rating.score == 3 and len(rating.reasons) == 1
    assert prod.survey(token).status == SurveyStatus.COMPLETED
    # Every survey of this module: each completed one has exactly one counted rating.
    with prod.engine.connect() as conn:
        from sqlalchemy import text

        doubled = conn.execute(text("SELECT survey_id FROM ratings WHERE status = 'valid' "
                                    "GROUP BY survey_id HAVING count(*) > 1")).fetchall()
    assert doubled == []
