"""The production profile on one machine: N Rasa and N action servers behind HAProxy, and the web app.

Rasa runs with ``endpoints.production.yml`` (SQL tracker store on
PostgreSQL, Redis lock store, Pika broker to RabbitMQ); our data is on
PostgreSQL (``DATABASE_URL``); one job worker takes background jobs from
Redis (``FEEDBACKBOT_JOBS_BACKEND=redis``). Every setting comes from the environment;
the launcher only fills ports into ``deploy/haproxy.cfg``. Used by
``feedbackbot run-production``, the fault tests and ``benchmarks/load.py``.
"""
from __future__ import annotations

import os
import shutil
import string
import time
from dataclasses import dataclass, field

import httpx

from bot.ops.stack import Stack, StackError, free_port, train_rasa
from bot.settings import ROOT

HAPROXY_TEMPLATE = ROOT / "deploy" / "haproxy.cfg"
PRODUCTION_ENDPOINTS = "endpoints.production.yml"
# What endpoints.production.yml reads; the launcher refuses to start without them.
RASA_SERVICE_VARS = (
    "RASA_TRACKER_DB_HOST", "RASA_TRACKER_DB_PORT", "RASA_TRACKER_DB_NAME", "RASA_TRACKER_DB_USER",
    "REDIS_HOST", "REDIS_PORT", "REDIS_DB", "RABBITMQ_HOST", "RABBITMQ_USER", "RABBITMQ_PASSWORD", "RABBITMQ_QUEUE",
)


def haproxy_bin() -> str | None:
    """Path of the haproxy executable (Debian's package), or None."""
    return shutil.which("haproxy") or next((p for p in ("/usr/sbin/haproxy",) if os.access(p, os.X_OK)), None)


def render_haproxy(rasa_ports: list[int], action_ports: list[int], rasa_lb: int, actions_lb: int,
                   stats: int) -> str:
    """``deploy/haproxy.cfg`` with its ports and server lines filled in."""
    def servers(prefix: str, ports: list[int]) -> str:
        return "\n".join(f"    server {prefix}-{i} 127.0.0.1:{port} check" for i, port in enumerate(ports))

    return string.Template(HAPROXY_TEMPLATE.read_text()).substitute(
        RASA_LB_PORT=rasa_lb, ACTIONS_LB_PORT=actions_lb, STATS_PORT=stats,
        RASA_SERVERS=servers("rasa", rasa_ports), ACTION_SERVERS=servers("actions", action_ports))


@dataclass
class ProductionStack(Stack):
    """:class:`bot.ops.stack.Stack` with N Rasa and N action servers behind HAProxy.

    ``rasa_port`` and ``action_port`` (inherited, and so ``RASA_URL`` and
    ``ACTION_ENDPOINT_URL``) are HAProxy's front ends; the servers themselves
    are ``rasa-<i>`` and ``actions-<i>`` on ``rasa_ports`` and ``action_ports``.
    """

    rasa_count: int = 2
    action_count: int = 2
    endpoints: str = PRODUCTION_ENDPOINTS
    stats_port: int = field(default_factory=free_port)
    rasa_ports: list[int] = field(default_factory=list)
    action_ports: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.rasa_count < 1 or self.action_count < 1:
            raise StackError("at least one Rasa server and one action server")
        self.rasa_ports = self.rasa_ports or [free_port() for _ in range(self.rasa_count)]
        self.action_ports = self.action_ports or [free_port() for _ in range(self.action_count)]

    @property
    def stats_url(self) -> str:
        return f"http://127.0.0.1:{self.stats_port}/stats"

    def env(self) -> dict[str, str]:
        """The servers' environment, with the job queue on Redis (the only backend this profile runs)."""
        env = super().env()
        env.setdefault("FEEDBACKBOT_JOBS_BACKEND", "redis")
        return env

    def start(self, timeout: float = 240.0, workers: int = 1) -> ProductionStack:
        """Migrate, render HAProxy's configuration, start every server and the worker; wait until each is ready."""
        from bot.db.migrate import upgrade

        binary = haproxy_bin()
        if binary is None:
            raise StackError("haproxy is not installed (make prod-deps)")
        missing = [v for v in RASA_SERVICE_VARS if not self.env().get(v)]
        if missing:
            raise StackError(f"the production profile needs {', '.join(missing)} in the environment")
        if self.env()["FEEDBACKBOT_JOBS_BACKEND"] != "redis":
            raise StackError("the production profile runs its job queue on Redis: unset FEEDBACKBOT_JOBS_BACKEND")
        upgrade(self.database_url)
        model = train_rasa()
        env = self.env()
        self.log_dir.mkdir(parents=True, exist_ok=True)
        cfg = self.log_dir / "haproxy.cfg"
        cfg.write_text(render_haproxy(self.rasa_ports, self.action_ports, self.rasa_port, self.action_port,
                                      self.stats_port))
        self._spawn("haproxy", [binary, "-db", "-f", str(cfg)], env)
        for i, port in enumerate(self.action_ports):
            self._spawn(f"actions-{i}", self.actions_cmd(port), env)
        for i, port in enumerate(self.rasa_ports):
            self.spawn_rasa(f"rasa-{i}", port, model, env)
        self._spawn("web", self.web_cmd(self.web_port, workers), env)
        self._spawn("worker", self.worker_cmd(), env)
        try:
            self.wait_worker("worker", timeout)
            self._wait(self.stats_url, "haproxy", timeout)
            for i, port in enumerate(self.action_ports):
                self._wait(f"http://127.0.0.1:{port}/ready", f"actions-{i}", timeout)
            for i, port in enumerate(self.rasa_ports):
                self._wait(f"http://127.0.0.1:{port}/webhooks/rest/", f"rasa-{i}", timeout)
            self._wait(f"{self.web_url}/healthz", "web", timeout)
            self.wait_balanced(timeout=30)
        except Exception:
            self.stop()
            raise
        return self

    def server_stats(self) -> dict[str, dict[str, str]]:
        """HAProxy's counters per ``backend/server`` (e.g. ``stot`` requests, ``status`` UP/DOWN)."""
        lines = httpx.get(f"{self.stats_url};csv", timeout=5).text.lstrip("# ").splitlines()
        header = lines[0].split(",")
        rows = [dict(zip(header, line.split(","), strict=False)) for line in lines[1:] if line]
        return {f"{r['pxname']}/{r['svname']}": r for r in rows if r.get("svname") not in ("FRONTEND", "BACKEND")}

    def wait_balanced(self, timeout: float = 30.0, *, down: tuple[str, ...] = ()) -> None:
        """Wait until HAProxy sees every server UP except those named in ``down`` (seen DOWN)."""
        deadline = time.monotonic() + timeout
        while True:
            status = {name: row.get("status", "") for name, row in self.server_stats().items()
                      if not name.startswith("stats/")}
            if all(s.startswith("DOWN") if n.split("/")[1] in down else s == "UP"
                   for n, s in status.items()):
                return
            if time.monotonic() > deadline:
                raise StackError(f"HAProxy does not see the expected servers: {status}")
            time.sleep(0.3)
