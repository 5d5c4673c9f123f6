"""A backup of the SQLite default taken while a writer writes, restored and compared (PostgreSQL uses pg_dump)."""
from __future__ import annotations

import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.conversation import calls
from bot.db.migrate import upgrade
from bot.db.models import AuditLog, Call
from bot.db.session import open_session
from bot.ops.backup import BackupError, backup

T0 = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)


def _register(url: str, n: int) -> None:
    with open_session(url) as s, s.begin():
        req = calls.CallRequest(call_id=f"b-{n}", agent_ids=["A1"], ended_at=T0 + timedelta(minutes=n))
        calls.register_call(s, req, window_minutes=60, template_version="v1", now=T0)


def _counts(url: str) -> tuple[int, int]:
    with open_session(url) as s:
        return s.scalar(select(func.count()).select_from(Call)), s.scalar(select(func.count()).select_from(AuditLog))


def test_a_backup_taken_while_writing_restores_a_consistent_database(tmp_path):
    url = f"sqlite:///{tmp_path / 'live.db'}"
    upgrade(url)
    for n in range(50):
        _register(url, n)
    stop = threading.Event()

    def writer() -> None:
        n = 1000
        while not stop.is_set():
            _register(url, n)
            n += 1

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        out = subprocess.run([sys.executable, "-m", "bot.cli.main", "backup", str(tmp_path / "copy.db")],
                             env={"DATABASE_URL": url, "PATH": "/usr/bin:/bin"}, capture_output=True, text=True,
                             check=False)
    finally:
        stop.set()
        thread.join()
    assert out.returncode == 0, out.stderr
    restored = f"sqlite:///{tmp_path / 'restored.db'}"
    out = subprocess.run([sys.executable, "-m", "bot.cli.main", "restore", str(tmp_path / "copy.db")],
                         env={"DATABASE_URL": restored, "PATH": "/usr/bin:/bin"}, capture_output=True, text=True,
                         check=False)
    assert out.returncode == 0, out.stderr
    called, audited = _counts(restored)
    # Consistent: every call of the snapshot has its audit rows (agent, call, survey), nothing half-written.
    assert called >= 50 and audited == 2 * called + 1
    assert called <= _counts(url)[0]


def test_postgresql_is_refused_with_the_tool_to_use(tmp_path):
    with pytest.raises(BackupError, match="pg_dump"):
        backup("postgresql://postgres@127.0.0.1/test", tmp_path / "x.db")
