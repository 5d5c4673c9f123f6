"""The SQL statements some work sends, for tests of the plans the databases make for them."""
from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import event
from sqlalchemy.orm import Session

from bot.db.connection import engine_for
from bot.db.session import open_session


def statements_of(url: str, work: Callable[[Session], object]) -> list[tuple[str, object]]:
    """The statements (and parameters) ``work(session)`` sends, in a transaction rolled back afterwards."""
    seen: list[tuple[str, object]] = []
    engine = engine_for(url)

    def note(_conn, _cursor, statement, parameters, _context, executemany):
        if not executemany:
            seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", note)
    try:
        with open_session(url) as s:
            work(s)
            s.rollback()
    finally:
        event.remove(engine, "before_cursor_execute", note)
    return seen
