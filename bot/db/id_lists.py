"""A list of row ids bound as one parameter: ``column IN (the ids)`` without a placeholder per id.

SQLAlchemy's expanding ``IN`` renders one placeholder per id on every
execution (500 ids: the statement text rebuilt and 500 values bound each
time: a sixth of the import writer's own time went there), and SQLite bounds
the number of placeholders. Here the ids travel as one value: a JSON array
read by ``json_each`` on SQLite, an ``int8[]`` compared with ``= ANY`` on
PostgreSQL; both are planned as lookups of each id in the column's index,
and the statement text is the same for any number of ids.
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import BigInteger, Boolean, ColumnElement, String, Text, bindparam
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.visitors import InternalTraversal
from sqlalchemy.types import TypeDecorator, TypeEngine


class _ValueList(TypeDecorator[Sequence[Any]]):
    """A list of values as one bound value: an array of :attr:`element` on PostgreSQL, JSON text on SQLite.

    Each value is checked by :meth:`_checked` first: the JSON text is read by ``json_each``, never spliced
    into SQL, but a list of the wrong kind is a caller's mistake to refuse."""

    impl = String
    cache_ok = True
    element: type[TypeEngine[Any]] = BigInteger

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(postgresql.ARRAY(self.element))
        return dialect.type_descriptor(String())

    def process_bind_param(self, value: Sequence[Any] | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        values = self._checked(value)
        return values if dialect.name == "postgresql" else json.dumps(values, ensure_ascii=False)

    def _checked(self, value: Sequence[Any]) -> list[Any]:
        raise NotImplementedError


class IdArray(_ValueList):
    """A list of integer ids as one bound value (an ``int8[]`` on PostgreSQL, JSON text on SQLite)."""

    cache_ok = True
    element = BigInteger

    def _checked(self, value: Sequence[Any]) -> list[Any]:
        return [int(v) for v in value]  # ids only


class TextArray(_ValueList):
    """A list of texts (external ids, say) as one bound value (a ``text[]`` on PostgreSQL, JSON text on
    SQLite)."""

    cache_ok = True
    element = Text

    def _checked(self, value: Sequence[Any]) -> list[Any]:
        if not all(type(v) is str for v in value):
            raise TypeError("a text list holds texts only")
        return list(value)


class InIds(ColumnElement[bool]):
    """``column`` is one of the values bound to ``ids`` (see :func:`in_ids`, :func:`in_texts`)."""

    inherit_cache = True
    _traverse_internals = [("column", InternalTraversal.dp_clauseelement),
                           ("ids", InternalTraversal.dp_clauseelement)]
    type = Boolean()
    _is_implicitly_boolean = True  # a predicate: SQLite's compiler would otherwise append "= 1" (and scan)

    def __init__(self, column: Any, ids: Any):
        self.column = column
        self.ids = ids


@compiles(InIds)
def _in_ids_postgresql(element: InIds, compiler: Any, **kw: Any) -> str:
    return f"{compiler.process(element.column, **kw)} = ANY({compiler.process(element.ids, **kw)})"


@compiles(InIds, "sqlite")
def _in_ids_sqlite(element: InIds, compiler: Any, **kw: Any) -> str:
    return (f"{compiler.process(element.column, **kw)} IN "
            f"(SELECT value FROM json_each({compiler.process(element.ids, **kw)}))")


def in_ids(column: Any, name: str = "ids") -> ColumnElement[bool]:
    """``column IN (:name)`` where ``:name`` is bound to a list of ids at execution (any length)."""
    return cast(ColumnElement[bool], InIds(column, bindparam(name, type_=IdArray())))


def in_texts(column: Any, name: str = "texts") -> ColumnElement[bool]:
    """``column IN (:name)`` where ``:name`` is bound to a list of texts at execution (any length)."""
    return cast(ColumnElement[bool], InIds(column, bindparam(name, type_=TextArray())))
