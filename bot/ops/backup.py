"""Backups of the SQLite default: consistent while the servers run, restored whole.

SQLite's online backup API copies the database page by page and restarts
the copy when a writer changes a page it already copied, so a backup taken
while the web app, the action server and the worker write is a consistent
snapshot (WAL mode included). PostgreSQL is backed up with its own tools
(README, "Backups").
"""
from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy.engine import make_url


class BackupError(RuntimeError):
    """The database cannot be backed up or restored this way (says why, in English)."""


def sqlite_path(database_url: str) -> Path:
    """The file of a ``sqlite:///`` URL.

    Raises:
        BackupError: for any other database.
    """
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        raise BackupError("feedbackbot backup works on the SQLite default; back up PostgreSQL with pg_dump "
                          "(README, Backups)")
    return Path(url.database)


def backup(database_url: str, target: Path) -> int:
    """Copy the live database to ``target`` (a new file); returns the pages copied.

    Raises:
        BackupError: not SQLite, no database yet, or ``target`` exists.
    """
    source = sqlite_path(database_url)
    if not source.exists():
        raise BackupError(f"no database at {source}")
    if target.exists():
        raise BackupError(f"{target} exists: choose a new file")
    target.parent.mkdir(parents=True, exist_ok=True)
    pages = 0

    def progress(_status: int, remaining: int, total: int) -> None:
        nonlocal pages
        pages = total

    with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as src, sqlite3.connect(target) as dst:
        src.backup(dst, pages=256, progress=progress)
        dst.execute("PRAGMA journal_mode=DELETE")  # a backup is one self-contained file
    if sqlite3.connect(target).execute("PRAGMA integrity_check").fetchone()[0] != "ok":
        raise BackupError(f"{target} failed SQLite's integrity check")
    return pages


def restore(backup_file: Path, database_url: str) -> None:
    """Replace the database with ``backup_file`` (stop the servers first: they would keep the old file open).

    Raises:
        BackupError: not SQLite, or the backup is missing or damaged.
    """
    target = sqlite_path(database_url)
    if not backup_file.exists():
        raise BackupError(f"no backup at {backup_file}")
    with sqlite3.connect(f"file:{backup_file}?mode=ro", uri=True) as check:
        if check.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise BackupError(f"{backup_file} failed SQLite's integrity check")
    target.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(f"file:{backup_file}?mode=ro", uri=True) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
