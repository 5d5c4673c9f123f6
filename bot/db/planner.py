"""Hints for SQLite's query planner, which has no statistics unless someone runs ``ANALYZE``.

Without statistics SQLite guesses from the indexes alone, and a few of our
statements got plans that read a whole table; the hint here steers it away
from an index while PostgreSQL (which keeps statistics) gets the plain column.
"""
from __future__ import annotations

from typing import Any, cast

from sqlalchemy import ColumnElement
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.visitors import InternalTraversal


class NoIndex(ColumnElement[Any]):
    """A column as a value no index of SQLite serves (``COALESCE(c, c)``, the same value); the column itself on
    every other database."""

    inherit_cache = True
    _traverse_internals = [("column", InternalTraversal.dp_clauseelement)]  # part of the statement cache key

    def __init__(self, column: Any):
        self.column = column
        self.type = column.type


@compiles(NoIndex)
def _no_index_plain(element: NoIndex, compiler: Any, **kw: Any) -> str:
    return cast(str, compiler.process(element.column, **kw))


@compiles(NoIndex, "sqlite")
def _no_index_sqlite(element: NoIndex, compiler: Any, **kw: Any) -> str:
    return f"COALESCE({compiler.process(element.column, **kw)}, {compiler.process(element.column, **kw)})"
