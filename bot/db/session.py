"""The one session factory used by the action server, the web app and the CLI.

Sessions are opened by the caller, which also owns the transaction
(``with open_session(url) as s, s.begin(): ...``), so one dialogue turn or one
request commits or rolls back as a whole.
"""
from __future__ import annotations

from functools import lru_cache

from sqlalchemy.orm import Session, sessionmaker

from bot.db.connection import engine_for


@lru_cache(maxsize=8)  # each sessionmaker makes a Session subclass, whose event set-up costs per call
def session_factory(database_url: str) -> sessionmaker[Session]:
    """The session factory bound to the process-wide engine for ``database_url``."""
    # expire_on_commit=False: objects stay readable after the turn's commit
    # (the web layer builds its response from them).
    return sessionmaker(bind=engine_for(database_url), expire_on_commit=False)


def open_session(database_url: str) -> Session:
    """A new session on ``database_url``; the caller begins and ends the transaction."""
    return session_factory(database_url)()
