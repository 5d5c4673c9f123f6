"""Engine construction. Nothing here runs at import time."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

from bot.settings import Settings


def make_engine(url: str, *, autocommit: bool = False, connect_args: dict | None = None) -> Engine:
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

    ``hide_parameters``: a statement's bound values are customers' words and
    identities; SQLAlchemy would print them in every database error, and our
    logs record those errors (a transcript not stored, a failed turn). With
    it, an error names the statement only, and on PostgreSQL the server's
    ``DETAIL`` line is dropped too (:func:`_without_row_detail`), so no log
    line of ours carries a customer's text (tests/storage/test_privacy.py).

    ``autocommit``: every statement is its own transaction, with no BEGIN or
    COMMIT round trip and no switching of a pooled connection's mode (see
    :func:`autocommit_engine_for`).

    ``connect_args``: more keyword arguments for the PostgreSQL driver's ``connect`` (psycopg's
    ``prepare_threshold``, say).
    """
    options: dict = {"isolation_level": "AUTOCOMMIT"} if autocommit else {}
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.drivername.startswith("sqlite"):
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed, connect_args={"timeout": 30}, hide_parameters=True, **options)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # pragma: no cover - trivial
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    pool_size = Settings.from_env().db_pool_size
    engine = create_engine(parsed, pool_pre_ping=True, pool_size=pool_size, max_overflow=pool_size,
                           hide_parameters=True, connect_args=connect_args or {}, **options)
    event.listen(engine, "handle_error", _without_row_detail)
    return engine


def _without_row_detail(ctx) -> None:
    """Keep only the first line of a PostgreSQL error's message (before it is wrapped, printed or logged).

    The server adds a ``DETAIL`` line that quotes the values of the failing
    row or key (``Failing row contains (…the customer's words…)``), which
    ``hide_parameters`` does not cover; the detail stays readable in the
    driver's ``diag`` for code that needs it.
    """
    orig = ctx.original_exception
    if orig is None or not orig.args or not isinstance(orig.args[0], str) or "\n" not in orig.args[0]:
        return
    orig.args = (orig.args[0].split("\n", 1)[0], *orig.args[1:])
    wrapped = ctx.sqlalchemy_exception
    if wrapped is not None and wrapped.args:
        wrapped.args = (f"({type(orig).__module__}.{type(orig).__name__}) {orig.args[0]}", *wrapped.args[1:])


@lru_cache(maxsize=8)
def engine_for(url: str) -> Engine:
    """Return a process-wide engine for ``url``, created on first use."""
    return make_engine(url)


@lru_cache(maxsize=8)
def autocommit_engine_for(url: str) -> Engine:
    """A process-wide engine for ``url`` whose connections run each statement as its own transaction.

    For a write that is one statement and must not wait on more round trips
    than that one (an SMS callback's acknowledgement): its own small pool, so
    no connection of :func:`engine_for` is switched in and out of autocommit.
    """
    return make_engine(url, autocommit=True)
