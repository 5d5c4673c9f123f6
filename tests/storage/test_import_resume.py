"""An import killed half-way and started again finishes with every row stored once (a real subprocess)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from sqlalchemy import func, select

from bot.db.models import AuditLog, Call, Rating, Survey
from bot.db.session import open_session

ROWS = 6000
HEADER = "call_id,agent_id,team,ended_at,replied_at,reply,reason,cause\n"
FEEDBACKBOT = [sys.executable, "-c", "import sys; from bot.cli.main import main; sys.exit(main())"]


def _file(path) -> int:
    """``ROWS`` calls, two in three with a plain score; returns how many replied."""
    replied = 0
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(HEADER)
        for n in range(ROWS):
            day, minute = 1 + n // 1440, n % 1440
            ended = f"2026-10-{day:02d}T{minute // 60:02d}:{minute % 60:02d}:00+08:00"
            if n % 3:
                replied += 1
                fh.write(f"m{n},A{n % 11},二组,{ended},{ended[:17]}40+08:00,{n % 5 + 1},,\n")
            else:
                fh.write(f"m{n},A{n % 11},二组,{ended},,,,\n")
    return replied


def _counts(url: str) -> tuple[int, int, int, int, int]:
    with open_session(url) as s:
        return (s.scalar(select(func.count()).select_from(Call)),
                s.scalar(select(func.count(func.distinct(Call.external_id)))),
                s.scalar(select(func.count()).select_from(Survey)),
                s.scalar(select(func.count()).select_from(Rating)),
                s.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.entity == "call",
                                                                          AuditLog.action == "created")))


def test_a_killed_import_finishes_when_run_again(db_url, tmp_path):
    path = tmp_path / "history.csv"
    replied = _file(path)
    env = dict(os.environ, DATABASE_URL=db_url)
    command = [*FEEDBACKBOT, "import-ratings", str(path), "--no-progress", "--batch-size", "100"]
    # Its own process group, so the kill reaches the worker processes too.
    first = subprocess.Popen(command, env=env, start_new_session=True, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE)
    deadline = time.monotonic() + 300
    stored = 0
    while time.monotonic() < deadline and first.poll() is None:
        stored = _counts(db_url)[0]
        if stored >= 500:
            break
        time.sleep(0.02)
    os.killpg(first.pid, signal.SIGKILL)
    first.wait()
    half = _counts(db_url)
    assert 500 <= half[0] < ROWS, (half, first.stderr.read() if first.stderr else "")
    assert half[0] % 100 == 0  # whole batches only
    assert half[0] == half[2] == half[4]

    again = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr
    assert f"imported: {ROWS - half[0]}, skipped as already present: {half[0]}" in again.stdout
    assert _counts(db_url) == (ROWS, ROWS, ROWS, replied, ROWS)
