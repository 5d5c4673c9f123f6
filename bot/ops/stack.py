"""Start and stop the processes of the product: Rasa, the action server, the web app and the job worker.

Used by ``feedbackbot run`` (``make run``) and by the end-to-end tests, so
both exercise the same start-up path.
"""
from __future__ import annotations

import contextlib
import fcntl
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx

from bot.settings import ROOT, Settings

RASA_BIN = ROOT / ".venv-rasa" / "bin" / "rasa"
RASA_PYTHON = ROOT / ".venv-rasa" / "bin" / "python"
# Every Rasa server starts through this start-up shim (see its docstring): Rasa's CLI plus one patch.
RASA_SERVE = ROOT / "deploy" / "rasa_serve.py"
RASA_MODEL_NAME = "feedbackbot"


class StackError(RuntimeError):
    """A server failed to start or the Rasa model could not be trained."""


def free_port() -> int:
    """An unused TCP port on the loopback interface."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def rasa_model_path() -> Path:
    """Where the trained Rasa model archive lives (under ``Settings().rasa_models_dir``)."""
    return Settings.from_env().rasa_models_dir / f"{RASA_MODEL_NAME}.tar.gz"


def train_rasa(force: bool = False, log=print) -> Path:
    """Train the Rasa model unless one exists that is newer than every training input.

    Returns:
        Path of the model archive.
    """
    model = rasa_model_path()
    inputs = [ROOT / "config.yml", ROOT / "domain.yml", *sorted((ROOT / "nlu").glob("*.yml")),
              *sorted((ROOT / "classifiers" / "resources" / "jieba").glob("*"))]
    newest = max(p.stat().st_mtime for p in inputs if p.exists())
    if not force and model.exists() and model.stat().st_mtime >= newest:
        return model
    model.parent.mkdir(parents=True, exist_ok=True)
    # Two processes starting at once (two test workers, `make run` beside a test run) train one after the
    # other into the same file; the second finds the first's model fresh and uses it.
    with open(model.parent / ".train.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not force and model.exists() and model.stat().st_mtime >= newest:
            return model
        return _train_rasa(model, log)


def _train_rasa(model: Path, log) -> Path:
    if not RASA_BIN.exists():
        raise StackError(f"{RASA_BIN} is missing: run `make setup` first")
    log("training the Rasa model (about a minute)…")
    cmd = [str(RASA_BIN), "train", "--config", "config.yml", "--domain", "domain.yml", "--data", "nlu",
           "--out", str(model.parent), "--fixed-model-name", RASA_MODEL_NAME, "--force"]
    proc = subprocess.run(cmd, cwd=ROOT, env=_rasa_env(), capture_output=True, text=True)
    if proc.returncode != 0 or not model.exists():
        raise StackError(f"rasa train failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    model.touch()
    return model


def _die_with_parent() -> None:
    """Ask Linux to SIGTERM the server if the process that started it dies (no orphaned servers)."""
    try:
        import ctypes
        import signal

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:  # not Linux: rely on stop()
        pass


def _rasa_env() -> dict[str, str]:
    env = dict(os.environ)
    # Rasa's own telemetry and TensorFlow chatter are noise here.
    env.update({"RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONWARNINGS": "ignore"})
    return env


@dataclass
class Stack:
    """The running servers and their URLs."""

    database_url: str
    log_dir: Path
    web_port: int = field(default_factory=free_port)
    rasa_port: int = field(default_factory=free_port)
    action_port: int = field(default_factory=free_port)
    extra_env: dict[str, str] = field(default_factory=dict)
    endpoints: str = "endpoints.yml"
    procs: dict[str, subprocess.Popen] = field(default_factory=dict)
    commands: dict[str, tuple[list[str], dict[str, str]]] = field(default_factory=dict)

    @property
    def web_url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}"

    @property
    def action_url(self) -> str:
        return f"http://127.0.0.1:{self.action_port}/webhook"

    def env(self) -> dict[str, str]:
        """The environment of all three servers; the shared secrets come from one validated Settings.

        Raises:
            SettingsError: outside development when a secret is missing or a development default.
        """
        env = dict(os.environ)
        env.update({
            "DATABASE_URL": self.database_url,
            "RASA_URL": self.rasa_url,
            "ACTION_ENDPOINT_URL": self.action_url,
            "FEEDBACKBOT_PUBLIC_URL": self.web_url,
            "PYTHONUNBUFFERED": "1",
        })
        env.update(self.extra_env)
        # endpoints*.yml reads ${ACTION_SERVER_TOKEN}: give Rasa the same secret the action server checks.
        env["ACTION_SERVER_TOKEN"] = Settings.from_env(env).action_server_token
        return env

    @property
    def rasa_api_token(self) -> str | None:
        """Token of Rasa's HTTP API (``?token=``), or None when the API is off."""
        return Settings.from_env(self.env()).rasa_api_token

    def rasa_api_args(self) -> list[str]:
        """``rasa run`` arguments for the HTTP API: off unless ``RASA_API_TOKEN`` is set, then token-protected."""
        token = self.rasa_api_token
        return ["--enable-api", "--auth-token", token] if token else []

    def _spawn(self, name: str, cmd: list[str], env: dict[str, str]) -> None:
        # libpq's PGAPPNAME: each server's PostgreSQL connections carry its name
        # in pg_stat_activity (feedbackbot-actions-0, rasa-1, ...), for operators.
        env = {"PGAPPNAME": name if name.startswith("rasa") else f"feedbackbot-{name}", **env}
        self.log_dir.mkdir(parents=True, exist_ok=True)
        logf = open(self.log_dir / f"{name}.log", "ab")
        self.commands[name] = (cmd, env)
        self.procs[name] = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=logf, stderr=subprocess.STDOUT,
                                            start_new_session=True, preexec_fn=_die_with_parent)

    def actions_cmd(self, port: int) -> list[str]:
        """Command line of an action server on ``port``."""
        return [sys.executable, "-m", "actions.server", "-p", str(port)]

    def rasa_cmd(self, port: int, model: Path) -> list[str]:
        """Command line of a Rasa server on ``port`` (loopback) serving ``model``."""
        return [str(RASA_PYTHON), str(RASA_SERVE), "run", *self.rasa_api_args(), "-m", str(model), "-i", "127.0.0.1",
                "-p", str(port), "--endpoints", self.endpoints, "--credentials", "credentials.yml"]

    def spawn_rasa(self, name: str, port: int, model: Path, env: dict[str, str]) -> None:
        """Start a Rasa server named ``name`` on ``port``."""
        self._spawn(name, self.rasa_cmd(port, model), {**_rasa_env(), **env})

    def web_cmd(self, port: int, workers: int = 1) -> list[str]:
        """Command line of the web app on ``port`` (loopback).

        ``--no-proxy-headers``: uvicorn would otherwise take the client's address
        from ``X-Forwarded-For`` of any local peer; the app decides instead
        (``FEEDBACKBOT_TRUSTED_PROXIES``, see ``bot.web.proxies``).
        """
        return [sys.executable, "-m", "uvicorn", "bot.web.app:create_app", "--factory", "--host", "127.0.0.1",
                "--port", str(port), "--workers", str(workers), "--no-proxy-headers", "--log-level", "warning"]

    def worker_cmd(self) -> list[str]:
        """Command line of the background-job worker (``feedbackbot worker``)."""
        return [sys.executable, "-m", "bot.cli.main", "worker"]

    def start(self, timeout: float = 180.0, workers: int = 1) -> Stack:
        """Migrate the database, start the three servers and the job worker, and wait until each answers."""
        from bot.db.migrate import upgrade

        upgrade(self.database_url)
        model = train_rasa()
        env = self.env()
        self._spawn("actions", self.actions_cmd(self.action_port), env)
        self.spawn_rasa("rasa", self.rasa_port, model, env)
        self._spawn("web", self.web_cmd(self.web_port, workers), env)
        self._spawn("worker", self.worker_cmd(), env)
        try:
            self.wait_worker("worker", timeout)
            self._wait(f"http://127.0.0.1:{self.action_port}/health", "actions", timeout)
            # The REST channel's own health route: answers without the HTTP API,
            # and only once the model is loaded (Rasa loads it before serving).
            self._wait(f"{self.rasa_url}/webhooks/rest/", "rasa", timeout)
            # Last: the web app's /healthz checks Rasa and the worker's heartbeat too.
            self._wait(f"{self.web_url}/healthz", "web", timeout)
        except Exception:
            self.stop()
            raise
        return self

    def start_web_only(self, timeout: float = 60.0, workers: int = 1) -> Stack:
        """Migrate the database and start the web app alone, with the same command line as :meth:`start`.

        Rasa and the action server are not started (chat calls answer 503):
        enough for the staff side, the integration API and the tests of them.
        """
        from bot.db.migrate import upgrade

        upgrade(self.database_url)
        self._spawn("web", self.web_cmd(self.web_port, workers), self.env())
        try:
            self._wait(f"{self.web_url}/livez", "web", timeout)
        except Exception:
            self.stop()
            raise
        return self

    def kill(self, name: str) -> None:
        """Kill one server at once (SIGKILL to its process group), as a crash would."""
        import signal

        proc = self.procs[name]
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=15)

    def restart(self, name: str) -> None:
        """Start a killed or stopped server again with its original command line and environment."""
        if self.procs[name].poll() is None:
            raise StackError(f"{name} is still running")
        self._spawn(name, *self.commands[name])

    def wait_worker(self, name: str, timeout: float) -> None:
        """Wait until the worker process ``name`` has written a heartbeat through its queue.

        The heartbeat must be this process's own (``host:pid``), so an earlier
        worker's recent row does not pass for a start.
        """
        from bot.db.session import open_session
        from bot.jobs import heartbeat

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            proc = self.procs[name]
            if proc.poll() is not None:
                raise StackError(f"{name} exited with {proc.returncode}; see {self.log_dir / (name + '.log')}:\n"
                                 + self.tail(name))
            with contextlib.suppress(Exception), open_session(self.database_url) as s:
                beat = heartbeat.latest(s, now=datetime.now(UTC))
                if beat is not None and beat.worker == f"{socket.gethostname()}:{proc.pid}":
                    return
            time.sleep(0.3)
        raise StackError(f"{name} wrote no heartbeat within {timeout:.0f}s:\n" + self.tail(name))

    def _wait(self, url: str, name: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            proc = self.procs[name]
            if proc.poll() is not None:
                raise StackError(f"{name} exited with {proc.returncode}; see {self.log_dir / (name + '.log')}:\n"
                                 + self.tail(name))
            try:
                if httpx.get(url, timeout=2.0).status_code < 500:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise StackError(f"{name} did not answer {url} within {timeout:.0f}s:\n" + self.tail(name))

    def tail(self, name: str, chars: int = 3000) -> str:
        path = self.log_dir / f"{name}.log"
        return path.read_text(errors="replace")[-chars:] if path.exists() else ""

    def stop(self) -> None:
        """Terminate every server (their process groups), waiting briefly for each."""
        import signal

        for proc in self.procs.values():
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        self.procs.clear()

    def __enter__(self) -> Stack:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def have_rasa() -> str | None:
    """None when the Rasa environment is installed, else why not."""
    return None if RASA_BIN.exists() else f"{RASA_BIN} not installed (make setup)"


__all__ = ["Stack", "StackError", "free_port", "train_rasa", "have_rasa"]
