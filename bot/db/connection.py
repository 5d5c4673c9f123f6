"""Engine construction. Nothing here runs at import time."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

from bot.settings import Settings


def make_engine(url: str) -> Engine:
    """Create an engine for ``url`` with the settings each backend needs.

    SQLite gets a 30 s busy timeout and WAL so the web app and the action
    server can write the same file concurrently; the file's directory is
    created if missing. ``synchronous=NORMAL`` is safe with WAL: a crash of
    any of our processes loses no committed turn and the file is never
    corrupted; only a power cut or kernel crash can lose the last commits
    before the next WAL sync (FULL would fsync every turn). Production runs on
    PostgreSQL. PostgreSQL URLs given as ``postgresql://`` use psycopg 3, with
    a pool of ``FEEDBACKBOT_DB_POOL_SIZE`` connections (and as many in
    overflow) per process, checked before use.
    """
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.drivername.startswith("sqlite"):
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # pragma: no cover - trivial
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    pool_size = Settings.from_env().db_pool_size
    return create_engine(parsed, pool_pre_ping=True, pool_size=pool_size, max_overflow=pool_size)


@lru_cache(maxsize=8)
def engine_for(url: str) -> Engine:
    """Return a process-wide engine for ``url``, created on first use."""
    return make_engine(url)
