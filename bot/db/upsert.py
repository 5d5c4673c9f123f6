"""Insert-or-get by the database's own conflict handling (``INSERT … ON CONFLICT DO NOTHING``).

A select-then-insert races: two requests both see no row, both insert, one
dies on the unique constraint (a 500, and on PostgreSQL the whole transaction
is lost). ``ON CONFLICT DO NOTHING`` lets the database arbitrate: PostgreSQL
waits for a concurrent inserter of the same key and then skips; SQLite
serialises writers. Whoever did not insert reads the winner's row afterwards.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def insert_or_ignore(s: Session, model: type, conflict_on: list[str], values: dict[str, Any],
                     returning: Any) -> Any | None:
    """Insert one row unless a row with the same ``conflict_on`` key exists.

    Args:
        s: Open session (the row joins the caller's transaction).
        model: Mapped class of the table.
        conflict_on: Columns of the unique key that decides "already there".
        values: Column values of the new row.
        returning: Column to return for the inserted row (usually the primary key).

    Returns:
        The ``returning`` value when this call inserted the row, None when it already existed.
    """
    dialect = s.get_bind().dialect.name
    if dialect == "postgresql":
        stmt: Any = postgresql.insert(model).values(**values).on_conflict_do_nothing(index_elements=conflict_on)
    elif dialect == "sqlite":
        stmt = sqlite.insert(model).values(**values).on_conflict_do_nothing(index_elements=conflict_on)
    else:  # pragma: no cover - the product supports exactly these two
        raise NotImplementedError(f"insert_or_ignore: no conflict handling for {dialect}")
    return s.execute(stmt.returning(returning)).scalar_one_or_none()
