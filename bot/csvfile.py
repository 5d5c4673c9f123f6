"""Reading the CSV files staff give us (roster, historical ratings): UTF-8 with or without BOM."""
from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path


class CsvFormatError(ValueError):
    """The file cannot be read at all (wrong encoding, missing columns)."""


@dataclass(frozen=True)
class BadRow:
    """A row that was not imported, with its line number in the file and why."""

    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


@dataclass
class Problems:
    """Bad rows collected while importing, in file order."""

    rows: list[BadRow] = field(default_factory=list)

    def add(self, line: int, reason: str) -> None:
        self.rows.append(BadRow(line, reason))


def read_rows(path: str | Path, columns: tuple[str, ...], required: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield ``(line_number, row)`` for each data row, every value stripped.

    Args:
        path: The CSV file (UTF-8, a BOM is accepted).
        columns: The columns the format knows; others are ignored.
        required: Columns that must be in the header.

    Raises:
        CsvFormatError: the file is not UTF-8 or lacks a required column.
    """
    try:
        fh = open(path, encoding="utf-8-sig", newline="")  # noqa: SIM115 - closed by the `with` below
    except OSError as exc:
        raise CsvFormatError(f"cannot open {path}: {exc}") from exc
    with fh:
        try:
            reader = csv.DictReader(fh)
            header = [h.strip() for h in (reader.fieldnames or [])]
            missing = [c for c in required if c not in header]
            if missing:
                raise CsvFormatError(f"{path}: missing column(s) {', '.join(missing)} (header: {','.join(header)})")
            reader.fieldnames = header
            for row in reader:
                yield reader.line_num, {c: (row.get(c) or "").strip() for c in columns}
        except UnicodeDecodeError as exc:
            raise CsvFormatError(f"{path}: not UTF-8 ({exc})") from exc


def parse_time(value: str) -> datetime:
    """An ISO 8601 timestamp that carries its time zone.

    Raises:
        ValueError: malformed, or without a zone (a naive time is ambiguous).
    """
    dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if dt.tzinfo is None:
        raise ValueError(f"time without a zone: {value!r}")
    return dt
