"""Ids that arrive in a form field, a path or a query string, bounded by the columns they are looked up in.

A value outside a column's range never reaches the database: Python's
``int`` is unbounded, SQLite's INTEGER stops at 2^63 − 1 (the driver raises
``OverflowError`` above) and PostgreSQL's at 2^31 − 1 (``NumericValueOutOfRange``),
and PostgreSQL refuses NUL in a string. Any of them would be a 500; here
they are a 422 before the route runs. Use with ``Form()``, ``Path()`` or
``Query()``::

    reason_id: Annotated[RowId, Form()]
    agent_id: Annotated[StaffId, Path()]
"""
from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints

from zhtext.clean import has_forbidden

# Our surrogate keys are ``Integer`` columns: 32-bit on PostgreSQL, the smaller of the two backends.
ROW_ID_MAX = 2**31 - 1
# ``agents.id`` (and so every login id) is String(64).
STAFF_ID_MAX_CHARS = 64


def _no_control_characters(v: str) -> str:
    if has_forbidden(v) or any("\ud800" <= ch <= "\udfff" for ch in v):
        raise ValueError("id must not contain control characters or unpaired surrogates")
    return v


RowId = Annotated[int, Field(ge=1, le=ROW_ID_MAX, description="A row id (1 … 2^31 − 1)")]
"""The id of one of our rows (appeals, reasons, ratings …): a positive 32-bit integer."""

StaffId = Annotated[str, StringConstraints(min_length=1, max_length=STAFF_ID_MAX_CHARS),
                    AfterValidator(_no_control_characters)]
"""A staff member's id (``agents.id``): 1–64 characters, no control characters."""
