"""The whole file checked before anything of it is written: every bad row and every conflicting repeat.

The first of the import's two passes (``bot.importing.history``). It reads
the file once, streamed: each row is decoded and validated
(:func:`bot.importing.history.check_row`), and each call id is noted with
its row's values in a temporary SQLite file (memory stays flat however long
the file). A call id that comes back with other data (agent, times, reply,
reason, cause or team) is a conflict, reported on every line after the first;
an exact repeat is not a problem (the import later counts it as already
present).
"""
from __future__ import annotations

import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NamedTuple

from bot.csvfile import BadRow, Cursor, Problems, read_records

#: The columns whose values a repeat of a call id must share, with their names in messages.
COMPARED = ("agent_id", "team", "ended_at", "replied_at", "reply", "reason", "cause")
_INSERT_EVERY = 5000


class Checked(NamedTuple):
    """A row that passed the check, as the repeat detection sees it (times normalised to UTC)."""

    line: int
    call_id: str
    values: tuple[str, ...]  # in COMPARED order


def _describe(first_line: int, first: tuple[str, ...], here: tuple[str, ...]) -> str:
    parts = []
    for name, a, b in zip(COMPARED, first, here, strict=True):
        if a != b:
            parts.append(f"{name} ({a!r} there, {b!r} here)" if len(a) + len(b) <= 60 else name)
    return f"conflict: the call id repeats line {first_line} with another {', '.join(parts)}"


class _Seen:
    """Call ids with their first line and digest, in a temporary SQLite file (not in memory)."""

    def __init__(self, folder: str):
        self.db = sqlite3.connect(str(Path(folder) / "seen.db"))
        self.db.execute("PRAGMA journal_mode=OFF")
        self.db.execute("PRAGMA synchronous=OFF")
        # The values themselves, compared by SQLite at the end (a digest per row cost the check more).
        self.db.execute("CREATE TABLE seen (call_id TEXT, line INTEGER, vals TEXT)")
        self.pending: list[tuple[str, int, str]] = []

    def add(self, row: Checked) -> None:
        self.pending.append((row.call_id, row.line, "\x1f".join(row.values)))
        if len(self.pending) >= _INSERT_EVERY:
            self.flush()

    def flush(self) -> None:
        self.db.executemany("INSERT INTO seen VALUES (?, ?, ?)", self.pending)
        self.pending.clear()

    def conflicts(self) -> Iterator[BadRow]:
        """Every line whose call id came earlier with other values, in file order."""
        self.flush()
        self.db.execute("CREATE INDEX seen_call ON seen (call_id, line)")
        query = """
            SELECT s.line, s.vals, f.line, f.vals FROM seen s
            JOIN (SELECT call_id, MIN(line) AS line FROM seen GROUP BY call_id HAVING COUNT(DISTINCT vals) > 1) m
              ON m.call_id = s.call_id
            JOIN seen f ON f.call_id = m.call_id AND f.line = m.line
            WHERE s.line > m.line AND s.vals != f.vals
            ORDER BY s.line"""
        for line, vals, first_line, first_vals in self.db.execute(query):
            yield BadRow(line, _describe(first_line, tuple(first_vals.split("\x1f")), tuple(vals.split("\x1f"))))

    def close(self) -> None:
        self.db.close()


def check_file(path: str | Path, columns: tuple[str, ...], required: tuple[str, ...],
               check: Callable[[int, dict[str, str]], Checked | str], problems: Problems,
               on_row: Callable[[], None] | None = None, cursor: Cursor | None = None) -> int:
    """Read and check the whole file; every problem goes to ``problems``. Returns the number of data rows.

    Args:
        path: The CSV file.
        columns: The columns of the format.
        required: The columns the header must have.
        check: Validates one row: the row as :class:`Checked`, or why it is bad.
        problems: Collects the bad rows and conflicts, with their line numbers.
        on_row: Called after each row (progress).
        cursor: Kept where the row last checked starts and the next one begins (``bot.csvfile.read_records``).

    Raises:
        CsvFormatError: the file cannot be opened or its header is unusable.
    """
    rows = 0
    with tempfile.TemporaryDirectory(prefix="feedbackbot-import-") as folder:
        seen = _Seen(folder)
        try:
            for record in read_records(path, columns, required, cursor=cursor):
                rows += 1
                if isinstance(record, BadRow):
                    problems.add(record.line, record.reason)
                else:
                    checked = check(*record)
                    if isinstance(checked, str):
                        problems.add(record[0], checked)
                    else:
                        seen.add(checked)
                if on_row is not None:
                    on_row()
            for bad in seen.conflicts():
                problems.add(bad.line, bad.reason)
        finally:
            seen.close()
    problems.rows.sort(key=lambda b: b.line)
    return rows
