"""Health checks that mean something: each dependency a process needs, tried for real.

Used by the web app's ``/healthz`` (database, Rasa and the job worker) and the action
server's ``/ready`` (database and classifier). Each check returns a
:class:`Check`; :func:`report` turns them into an HTTP status (503 when any
failed) and a JSON body naming each check, so a load balancer, an
orchestrator and an operator read the same answer.
"""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import text

RASA_TIMEOUT_S = 2.0


@dataclass(frozen=True)
class Check:
    """Outcome of one check."""

    name: str
    ok: bool
    detail: str
    ms: float


def _timed(name: str, started: float, ok: bool, detail: str) -> Check:
    return Check(name, ok, detail[:300], round((time.perf_counter() - started) * 1000, 1))


def database(url: str) -> Check:
    """The database answers a query on a pooled connection."""
    from bot.db.session import open_session

    started = time.perf_counter()
    try:
        with open_session(url) as s:
            s.execute(text("SELECT 1"))
        return _timed("database", started, True, "ok")
    except Exception as exc:  # noqa: BLE001 - any failure means "down"
        return _timed("database", started, False, f"{type(exc).__name__}: {exc}")


def worker(url: str, max_age: timedelta) -> Check:
    """A job worker beat within ``max_age``: its periodic heartbeat job went through the queue (bot.jobs.heartbeat)."""
    from bot.db.session import open_session
    from bot.jobs import heartbeat

    started = time.perf_counter()
    try:
        with open_session(url) as s:
            beat = heartbeat.latest(s, now=datetime.now(UTC))
    except Exception as exc:  # noqa: BLE001
        return _timed("worker", started, False, f"{type(exc).__name__}: {exc}")
    if beat is None:
        return _timed("worker", started, False, "no worker heartbeat recorded (is `feedbackbot worker` running?)")
    age = beat.age.total_seconds()
    ok = age <= max_age.total_seconds()
    return _timed("worker", started, ok, f"last heartbeat {age:.0f}s ago from {beat.worker}"
                  + ("" if ok else f" (more than {max_age.total_seconds():.0f}s)"))


def classifier() -> Check:
    """The promoted cause classifier is loaded and classifies a sentence."""
    started = time.perf_counter()
    try:
        from classifiers import classify

        result = classify("客服态度很好，问题也解决了")
        return _timed("classifier", started, True, f"model {result.model_version}")
    except Exception as exc:  # noqa: BLE001
        return _timed("classifier", started, False, f"{type(exc).__name__}: {exc}")


async def rasa(client: httpx.AsyncClient) -> Check:
    """Rasa answers on its REST channel with a model loaded.

    Rasa's HTTP API (``/status``) is off unless ``RASA_API_TOKEN`` is set, so
    the check uses the REST channel's own health route ``/webhooks/rest/``
    (``{"status": "ok"}``), the channel the web app talks to; ``rasa run``
    serves it only after its model has loaded.
    """
    started = time.perf_counter()
    try:
        r = await client.get("/webhooks/rest/", timeout=RASA_TIMEOUT_S)
        ok = r.status_code == 200 and (r.json() or {}).get("status") == "ok"
        return _timed("rasa", started, ok, "rest channel ok" if ok else f"HTTP {r.status_code}")
    except (httpx.HTTPError, ValueError) as exc:
        return _timed("rasa", started, False, f"{type(exc).__name__}: {exc}")


def report(checks: list[Check]) -> tuple[int, dict]:
    """HTTP status (200, or 503 when any check failed) and the JSON body listing every check."""
    ok = all(c.ok for c in checks)
    return (200 if ok else 503), {"ok": ok, "checks": [asdict(c) for c in checks]}
