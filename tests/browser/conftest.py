"""Browser fixtures: Debian's Chromium driven by Playwright (sync API), and a web-app-only server.

Playwright's own browser download cannot work without internet access, so the
tests launch /usr/bin/chromium (``make browser-deps`` installs it).
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from tests.conftest import unavailable

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="session")
def chromium():
    """One headless Chromium for the whole session."""
    if not CHROMIUM.exists():
        unavailable(f"{CHROMIUM} is missing (make browser-deps)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:  # pragma: no cover - dev extra not installed
        unavailable(f"playwright is not installed: {exc}")
    pw = sync_playwright().start()
    try:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
    except Exception as exc:  # noqa: BLE001 - a browser that cannot start is an environment problem
        pw.stop()
        unavailable(f"Chromium did not start: {exc}")
    try:
        yield browser
    finally:
        browser.close()
        pw.stop()


@pytest.fixture()
def phone(chromium) -> Iterator[Callable]:
    """``phone(width=390, height=844, **context_options) -> Page``: a touch phone viewport in Chinese."""
    contexts = []

    def open_page(width: int = PHONE["width"], height: int = PHONE["height"], **options):
        ctx = chromium.new_context(viewport={"width": width, "height": height}, device_scale_factor=2,
                                   is_mobile=True, has_touch=True, locale="zh-CN", **options)
        ctx.set_default_timeout(30_000)
        contexts.append(ctx)
        page = ctx.new_page()
        page.errors = []  # uncaught page errors, asserted empty by the tests
        page.on("pageerror", lambda exc: page.errors.append(str(exc)))
        return page

    yield open_page
    for ctx in contexts:
        ctx.close()


class WebOnly:
    """The web app alone, with its dialogue engine unreachable (every chat call answers 503)."""

    def __init__(self, url: str) -> None:
        self.url = url

    def new_survey(self) -> str:
        from bot.settings import DEV_INTEGRATION_TOKEN

        r = httpx.post(f"{self.url}/api/calls", timeout=30,
                       headers={"Authorization": f"Bearer {DEV_INTEGRATION_TOKEN}"},
                       json={"call_id": f"browser-{uuid.uuid4().hex[:10]}", "agent_ids": ["A100"],
                             "ended_at": datetime.now(UTC).isoformat()})
        assert r.status_code == 201, r.text
        return r.json()["survey_token"]


@contextmanager
def serve_web(base: Path, db: str) -> Iterator[str]:
    """Run the web app alone (Rasa unreachable) on ``db`` in a subprocess; yields its URL."""
    from bot.ops.stack import free_port
    from bot.settings import ROOT

    port, dead = free_port(), free_port()
    env = {**os.environ, "FEEDBACKBOT_ENV": "development", "DATABASE_URL": db,
           "RASA_URL": f"http://127.0.0.1:{dead}", "FEEDBACKBOT_PUBLIC_URL": f"http://127.0.0.1:{port}",
           "PYTHONUNBUFFERED": "1"}
    log = open(base / "web.log", "wb")
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "bot.web.app:create_app", "--factory",
                             "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                pytest.fail(f"web app exited with {proc.returncode}:\n"
                            + (base / "web.log").read_text(errors="replace")[-3000:])
            try:
                if httpx.get(f"{url}/livez", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("web app did not answer /livez within 60 s")
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="session")
def web_only(tmp_path_factory) -> Iterator[WebOnly]:
    """Serve the chat page without Rasa: for the page's own behaviour (errors, in-flight state, layout)."""
    from bot.db.migrate import upgrade

    base = tmp_path_factory.mktemp("web-only")
    db = f"sqlite:///{base / 'feedbackbot.db'}"
    upgrade(db)
    with serve_web(base, db) as url:
        yield WebOnly(url)
