"""Migrated empty databases for tests, copied from one migrated template per session.

Running every Alembic migration for each test that wants an empty database cost most of the storage tests' time
(hundreds of tests, both backends). The migrations run once per session into a template; each test gets a copy:
SQLite through the online backup API, PostgreSQL through ``CREATE DATABASE … TEMPLATE``. Tests of the migrations
themselves (``tests/storage/test_schema.py``) still run them.
"""
from __future__ import annotations

import contextlib
import sqlite3
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass
class MigratedTemplates:
    """One migrated template per backend, made on first use; ``close`` drops the PostgreSQL one."""

    base: Path
    admin_url: str
    _sqlite: Path | None = None
    _pg_name: str | None = None

    def sqlite(self, path: Path) -> str:
        """A migrated database at ``path`` (which must not exist yet); returns its URL."""
        from bot.db.migrate import upgrade

        if self._sqlite is None:
            template = self.base / "template.db"
            upgrade(f"sqlite:///{template}")
            self._sqlite = template
        with contextlib.closing(sqlite3.connect(self._sqlite)) as src, \
                contextlib.closing(sqlite3.connect(path)) as dst:
            src.backup(dst)
        return f"sqlite:///{path}"

    def postgresql(self, request: pytest.FixtureRequest) -> str:
        """A migrated PostgreSQL database of its own, dropped when ``request``'s scope ends; returns its URL."""
        import psycopg

        from tests.conftest import _drop_db

        pg = request.getfixturevalue("pg_url")  # skips (or fails in CI) without PostgreSQL
        server = pg.rsplit("/", 1)[0]
        if self._pg_name is None:
            from bot.db.migrate import upgrade

            name = f"tpl_{uuid.uuid4().hex[:10]}"
            with psycopg.connect(self.admin_url, autocommit=True) as admin:
                admin.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
            upgrade(f"{server}/{name}")  # disposes its engine: a template must have no connection when copied
            self._pg_name = name
        name = f"t_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(self.admin_url, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{self._pg_name}"')
        request.addfinalizer(lambda: _drop_db(name))
        return f"{server}/{name}"

    def close(self) -> None:
        if self._pg_name is not None:
            import psycopg

            with psycopg.connect(self.admin_url, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{self._pg_name}" WITH (FORCE)')
