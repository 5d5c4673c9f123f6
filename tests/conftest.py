"""Shared fixtures: real PostgreSQL / Redis / RabbitMQ when present, the live server stack.

Tests that need a service skip with a visible reason when it is absent; with
FEEDBACKBOT_REQUIRE_SERVICES=1 (set by .ci/run) the same condition fails.
"""
from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.databases import MigratedTemplates

REQUIRE = os.environ.get("FEEDBACKBOT_REQUIRE_SERVICES") == "1"
# Every test client is 127.0.0.1: the chat's per-address rate (one customer's limit in production) would throttle
# the suite. Set for this process, so every server a test starts inherits it; the per-survey rate stays.
os.environ.setdefault("FEEDBACKBOT_CHAT_RATE_PER_ADDRESS", "1000000")
PG_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
#: The secret path segment of the SMS callbacks in the live stacks.
SMS_CALLBACK_SECRET = "sms-callback-secret-of-the-test-stacks"
#: The official account's push token in the live stacks (plain mode).
WECHAT_TOKEN = "feedbackbotwxtest"
WECHAT_APP_ID = "wx0123456789abcdef"
WECHAT_APP_SECRET = "app-secret-of-the-test-stacks"


@pytest.fixture(scope="session")
def wechat_api():
    """A local server speaking the official account API (access token, customer-service messages) for the stacks."""
    from tests.channels.providers import WechatApiServer

    server = WechatApiServer(WECHAT_APP_ID, WECHAT_APP_SECRET).start()
    yield server
    server.stop()


def unavailable(reason: str) -> None:
    """Skip (or, in CI, fail) a test whose service is missing."""
    if REQUIRE:
        pytest.fail(f"required service unavailable: {reason}", pytrace=False)
    pytest.skip(reason)


def port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1.0):
            return True
    except OSError:
        return False


@pytest.fixture(scope="session", autouse=True)
def _facts_listener() -> None:
    """Every process of the product installs the survey_facts listener at its entry point; so does the suite."""
    from bot.ledger import fact_table

    fact_table.install()


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """URL of a fresh PostgreSQL database, dropped after the session."""
    try:
        import psycopg

        admin = psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3)
    except Exception as exc:  # noqa: BLE001 - any failure means "no PostgreSQL here"
        unavailable(f"PostgreSQL not reachable at {PG_ADMIN_URL}: {exc}")
    name = f"feedbackbot_test_{uuid.uuid4().hex[:10]}"
    admin.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')  # no wait on template1 users
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        from bot.db.connection import engine_for

        engine_for.cache_clear()
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.fixture()
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'feedbackbot.db'}"


@pytest.fixture(scope="session")
def migrated(tmp_path_factory) -> Iterator[MigratedTemplates]:
    """Migrated empty databases, copied from a template migrated once per session."""
    templates = MigratedTemplates(tmp_path_factory.mktemp("migrated-template"), PG_ADMIN_URL)
    yield templates
    templates.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path: Path, migrated: MigratedTemplates) -> str:
    """A migrated empty database on each backend."""
    if request.param == "sqlite":
        return migrated.sqlite(tmp_path / "feedbackbot.db")
    return migrated.postgresql(request)


def _drop_db(name: str) -> None:
    import psycopg

    from bot.db.connection import autocommit_engine_for, engine_for

    engine_for.cache_clear()
    autocommit_engine_for.cache_clear()
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def live_stacks(request, tmp_path_factory, wechat_api):
    """Start (once per session and backend) Rasa + action server + web app; returns ``get(backend) -> Live``."""
    from bot.ops.stack import Stack, have_rasa
    from tests.live import Live

    started: dict[str, Live] = {}

    def get(backend: str) -> Live:
        if backend in started:
            return started[backend]
        why = have_rasa()
        if why:
            unavailable(why)
        base = tmp_path_factory.mktemp(f"stack-{backend}")
        url = (f"sqlite:///{base / 'feedbackbot.db'}" if backend == "sqlite"
               else request.getfixturevalue("pg_url"))
        # Rasa's HTTP API is on here (tests read trackers and parse NLU), protected by a per-session token.
        stack = Stack(database_url=url, log_dir=base / "log",
                      extra_env={"RASA_API_TOKEN": f"test-rasa-api-{uuid.uuid4().hex}",
                                 "FEEDBACKBOT_SMS_CALLBACK_SECRET": SMS_CALLBACK_SECRET,
                                 "FEEDBACKBOT_WECHAT_TOKEN": WECHAT_TOKEN,
                                 "FEEDBACKBOT_WECHAT_APP_ID": WECHAT_APP_ID,
                                 "FEEDBACKBOT_WECHAT_APP_SECRET": WECHAT_APP_SECRET,
                                 "FEEDBACKBOT_WECHAT_API_BASE": wechat_api.url}).start()
        started[backend] = Live(stack)
        return started[backend]

    yield get
    for live in started.values():
        live.close()
        live.stack.stop()


def pytest_collection_modifyitems(config, items) -> None:
    """Modules marked ``slow`` first, everything else after them in its order: the suite runs on two
    workers (``make test``: ``-n 2 --dist loadfile``), and a minutes-long module started last would leave one
    core idle at the end."""
    items.sort(key=lambda item: 0 if item.get_closest_marker("slow") else 1)
