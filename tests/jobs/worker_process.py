"""A real ``feedbackbot worker`` process on its own database and queue, for the job tests and the benchmark."""
from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.orm import Session

from bot.db.connection import make_engine
from bot.db.jobs import JobRun
from bot.db.migrate import upgrade
from bot.db.session import open_session
from bot.jobs import heartbeat
from bot.jobs.runner import Runner, build_runner
from bot.settings import ROOT, Settings

SAMPLE_JOBS = "tests.jobs.sample_jobs"


@dataclass
class WorkerProcess:
    """A migrated SQLite database, a queue named for this run, and a worker consuming it."""

    base: Path
    backend: str
    threads: int = 1
    redis_url: str = "redis://127.0.0.1:6379/0"
    env: dict[str, str] = field(default_factory=dict)
    proc: subprocess.Popen | None = None

    def __post_init__(self) -> None:
        self.database_url = f"sqlite:///{self.base / 'feedbackbot.db'}"
        upgrade(self.database_url)
        self.env = {"DATABASE_URL": self.database_url, "FEEDBACKBOT_JOBS_BACKEND": self.backend,
                    "FEEDBACKBOT_JOBS_QUEUE": f"test-{uuid.uuid4().hex[:12]}",
                    "FEEDBACKBOT_JOBS_SQLITE_PATH": str(self.base / "jobs.sqlite3"),
                    "FEEDBACKBOT_JOBS_REDIS_URL": self.redis_url}
        self.settings = Settings.from_env(self.env)
        from tests.jobs import sample_jobs

        self.runner: Runner = build_runner(self.settings, extra=sample_jobs.JOBS)
        self.engine = make_engine(self.database_url)

    def start(self, timeout: float = 60) -> WorkerProcess:
        """Start the worker and wait for its own first heartbeat."""
        with open(self.base / "worker.log", "ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "bot.cli.main", "worker", "--threads", str(self.threads), "--jobs", SAMPLE_JOBS],
                cwd=ROOT, env={**os.environ, **self.env, "PYTHONUNBUFFERED": "1"}, stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True)
        me = f"{socket.gethostname()}:{self.proc.pid}"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.log_tail()
            with open_session(self.database_url) as s:
                beat = heartbeat.latest(s, now=datetime.now(UTC))
            if beat is not None and beat.worker == me:
                return self
            time.sleep(0.1)
        raise AssertionError("the worker wrote no heartbeat:\n" + self.log_tail())

    def log_tail(self) -> str:
        path = self.base / "worker.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""

    def run(self, run_id: str) -> JobRun | None:
        """The job_runs row of ``run_id`` as it is now."""
        with Session(self.engine) as s:
            return s.get(JobRun, run_id)

    def wait_for(
        self, run_id: str, status: str, timeout: float = 60, until: Callable[[JobRun], bool] | None = None
    ) -> JobRun:
        """Poll the row until it reaches ``status`` (and, if given, ``until`` holds for it)."""
        deadline = time.monotonic() + timeout
        row = None
        while time.monotonic() < deadline:
            row = self.run(run_id)
            if row is not None and row.status == status and (until is None or until(row)):
                return row
            time.sleep(0.05)
        raise AssertionError(f"{run_id} never became {status}; last row: {row and row.status}\n{self.log_tail()}")

    def rss_kib(self) -> int:
        """Resident memory of the worker process (``VmRSS``)."""
        assert self.proc is not None
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise AssertionError("no VmRSS")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
        with contextlib.suppress(Exception):
            self.runner.huey.flush()  # the queue's keys (Redis) or rows (SQLite file) of this run
        self.engine.dispose()
