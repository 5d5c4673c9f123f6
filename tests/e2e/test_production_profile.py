"""The production profile: Rasa's tracker store in PostgreSQL, Redis lock store, RabbitMQ event broker.

One real conversation through two Rasa workers, then the evidence that each
service was used: the tracker's events in PostgreSQL, the events on the
RabbitMQ queue, and our own records in PostgreSQL.
"""
from __future__ import annotations

import json

import pytest

from bot.ops.stack import Stack
from tests.conftest import PG_ADMIN_URL
from tests.live import Live
from tests.production import production_services, require_services

pytestmark = [pytest.mark.e2e, pytest.mark.services]


@pytest.fixture(scope="module")
def prod_live(pg_url, tmp_path_factory):
    require_services(haproxy=False)
    with production_services() as env:
        base = tmp_path_factory.mktemp("stack-production")
        stack = Stack(database_url=pg_url, log_dir=base / "log", extra_env={**env, "SANIC_WORKERS": "2"},
                      endpoints="endpoints.production.yml").start()
        live = Live(stack)
        yield live, env["RASA_TRACKER_DB_NAME"], env["RABBITMQ_QUEUE"]
        live.close()
        stack.stop()


def _published_events(queue: str, token: str, most: int = 1000) -> list[dict]:
    """Drain up to ``most`` events from the RabbitMQ queue; those of conversation ``token``."""
    import pika

    conn = pika.BlockingConnection(pika.ConnectionParameters("127.0.0.1", 5672))
    channel = conn.channel()
    events = []
    for _ in range(most):
        method, _props, body = channel.basic_get(queue, auto_ack=True)
        if method is None:
            break
        event = json.loads(body)
        if event.get("sender_id") == token:
            events.append(event)
    conn.close()
    return events


def test_conversation_uses_postgres_tracker_redis_lock_and_rabbitmq(prod_live):
    live, tracker_db, queue = prod_live
    token = live.new_survey()
    assert live.start(token)
    live.say(token, "2")
    live.say(token, "等了四十分钟才有人接，排队太久了")
    [reason] = live.reasons(token)
    assert (reason.cause, reason.attribution) == ("company.system", "non_staff")

    import psycopg

    with psycopg.connect(PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{tracker_db}") as conn:
        n = conn.execute("SELECT count(*) FROM events WHERE sender_id = %s", (token,)).fetchone()[0]
    assert n >= 6  # user messages, actions and slot events of three turns

    seen = [event.get("event") for event in _published_events(queue, token)]
    assert "user" in seen and "action" in seen



def test_turns_take_the_conversation_lock_in_redis(prod_live):
    live, _, _ = prod_live
    token = live.new_survey()
    live.start(token)
    import threading

    import redis

    commands: list[str] = []
    ready = threading.Event()

    def watch() -> None:
        with redis.Redis(host="127.0.0.1", port=6379).monitor() as monitor:
            ready.set()
            for entry in monitor.listen():
                commands.append(entry["command"])
                if token in entry["command"] and entry["command"].upper().startswith("DEL"):
                    return

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    ready.wait(5)
    live.say(token, "5")
    watcher.join(10)
    assert any(token in c and "feedbackbot" in c for c in commands), commands[-20:]


def test_rasa_http_api_is_off_without_a_token(prod_live):
    """No RASA_API_TOKEN in the production profile: Rasa serves only the REST channel."""
    live, _, _ = prod_live
    token = live.new_survey()
    live.start(token)
    import httpx

    rasa = live.stack.rasa_url
    for method, path in (("GET", "/status"), ("GET", f"/conversations/{token}/tracker"),
                         ("POST", f"/conversations/{token}/tracker/events"), ("PUT", "/model"),
                         ("POST", "/model/parse")):
        r = httpx.request(method, rasa + path, json={}, timeout=30)
        assert r.status_code in (404, 405), (method, path, r.status_code)
    assert live.say(token, "5")  # the chat itself still works
    assert [r.score for r in live.ratings(token)] == [5]


def test_tracker_store_and_event_broker_never_see_raw_personal_data(prod_live):
    """The proxy redacts before Rasa: PostgreSQL's tracker events and RabbitMQ carry placeholders (finding 3)."""
    live, tracker_db, queue = prod_live
    token = live.new_survey()
    live.start(token)
    live.say(token, "2")
    raw = ["13912345678", "11010519900307123X", "6222021234567890", "zhang.san@example.com"]
    live.say(token, f"客服要我报身份证{raw[1]}和卡号{raw[2]}，说打{raw[0]}回我，邮件发{raw[3]}也不理")
    import psycopg

    with psycopg.connect(PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{tracker_db}") as conn:
        stored = [row[0] for row in conn.execute("SELECT data FROM events WHERE sender_id = %s", (token,))]
    published = _published_events(queue, token)
    assert stored and published
    # Rasa writes JSON with \\u escapes: read it back before looking for Chinese text.
    everything = "\n".join(json.dumps(e, ensure_ascii=False) for e in [*map(json.loads, stored), *published])
    assert "身份证号" in everything  # the customer's (redacted) message is there
    for value in raw:
        assert value not in everything, value


def test_erasure_deletes_the_conversation_from_the_sql_tracker_store_while_rasa_runs(prod_live):
    """``feedbackbot privacy erase`` reaches Rasa's PostgreSQL tracker store (RASA_TRACKER_DB_*, as Rasa reads them).

    Rasa reads a conversation from the table at every turn, so deleting its
    rows while Rasa runs is safe: the next message of the same conversation is
    answered, and the tracker then holds only what came after the erasure.
    """
    import subprocess
    import sys
    import uuid
    from pathlib import Path

    import psycopg

    live, tracker_db, _ = prod_live
    visitor = f"web-visitor-{uuid.uuid4().hex[:8]}"
    words = "客服答应周三回电却一直没有回音"
    token = live.new_survey(channel="web", customer_channel_id=visitor)
    live.start(token)
    live.say(token, "2")
    live.say(token, words)

    def tracker_rows() -> str:
        with psycopg.connect(PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{tracker_db}") as conn:
            rows = [json.loads(r[0]) for r in conn.execute("SELECT data FROM events WHERE sender_id = %s", (token,))]
        return json.dumps(rows, ensure_ascii=False)

    assert words in tracker_rows()
    cli = Path(sys.executable).parent / "feedbackbot"
    done = subprocess.run([str(cli), "privacy", "erase", "--channel", visitor, "--why", "客户申请"],
                          capture_output=True, text=True, env=live.stack.env(), timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "tracker store (sql): removed" in done.stdout
    assert tracker_rows() == "[]"
    assert live.say(token, "谢谢")  # Rasa, running throughout, still serves the conversation
    assert words not in tracker_rows()
    assert [r.score for r in live.ratings(token)] == [2]
