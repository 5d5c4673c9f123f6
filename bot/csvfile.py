"""Reading the CSV files staff give us (roster, historical ratings): UTF-8 with or without BOM.

The file is read as bytes and decoded one physical line at a time, so a byte
that is not UTF-8 is reported with its line (and column) instead of stopping
the whole read with a byte offset; a cell larger than the ``csv`` module's
field limit, or a row with more cells than the header, is reported the same
way and reading goes on with the next line. :func:`read_records` yields those
problems among the rows; :func:`read_rows` (the roster) stops at the first.
"""
from __future__ import annotations

import codecs
import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import BinaryIO


class CsvFormatError(ValueError):
    """The file cannot be read at all (cannot be opened, missing columns), or a row of it cannot be decoded."""


@dataclass(frozen=True)
class BadRow:
    """A row that was not imported, with its line number in the file and why."""

    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


@dataclass
class Problems:
    """Bad rows collected while importing, in file order; past ``limit`` only counted (memory stays bounded)."""

    rows: list[BadRow] = field(default_factory=list)
    limit: int = 100_000
    more: int = 0

    def add(self, line: int, reason: str) -> None:
        if len(self.rows) < self.limit:
            self.rows.append(BadRow(line, reason))
        else:
            self.more += 1

    def __len__(self) -> int:
        return len(self.rows) + self.more


class _Lines:
    """The file's physical lines, decoded one by one; what could not be decoded is noted with its line number."""

    def __init__(self, fh: BinaryIO, number: int = 0, position: int = 0):
        self._it = iter(fh)
        self.number = number  # of the last line read
        self.position = position  # bytes of the file read so far (where the next line starts)
        self.undecodable: list[tuple[int, int, int]] = []  # (line, character column, byte)
        self.current: list[str] = []  # the lines of the record being read

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        raw = next(self._it)
        self.number += 1
        self.position += len(raw)
        if self.number == 1 and raw.startswith(codecs.BOM_UTF8):
            raw = raw[len(codecs.BOM_UTF8):]
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            column = len(raw[:exc.start].decode("utf-8", "replace")) + 1
            self.undecodable.append((self.number, column, raw[exc.start]))
            text = raw.decode("utf-8", "replace")
        self.current.append(text)
        return text


def _cell_at(text: str, position: int | None, header: list[str], limit: int | None = None) -> str:
    """The header name of the cell holding ``position`` (or the first cell longer than ``limit``), quote-aware."""
    cell, length, quoted = 0, 0, False
    for i, ch in enumerate(text):
        if position is not None and i >= position:
            break
        if ch == '"':
            quoted = not quoted
        elif ch == "," and not quoted:
            cell, length = cell + 1, 0
            continue
        length += 1
        if limit is not None and length > limit:
            break
    else:
        if position is None:
            return ""
    return f", column {header[cell]}" if cell < len(header) else f", cell {cell + 1}"


def _csv_problem(exc: csv.Error, text: str, header: list[str]) -> str:
    message = str(exc)
    if "field larger than field limit" in message:
        limit = csv.field_size_limit()
        return f"{_cell_at(text, None, header, limit)[2:] or 'a cell'} is larger than {limit:,} characters " \
               f"(the CSV reader's limit)"
    return f"not readable as CSV ({message})"


_Record = tuple[int, dict[str, str]] | BadRow


@dataclass
class Cursor:
    """Where the record after the last one yielded starts: its byte offset and line (blank lines may come first).

    Given to :func:`read_records`, which keeps it current; a span of the file found this way can be read again
    alone (``span=``), without reading what comes before it."""

    offset: int = 0
    line: int = 1
    record_offset: int = 0  # where the record (or bad row) last yielded starts
    record_line: int = 1


def read_records(path: str | Path, columns: tuple[str, ...], required: tuple[str, ...], *,
                 cursor: Cursor | None = None, span: tuple[int, int, int] | None = None) -> Iterator[_Record]:
    """Yield ``(line_number, row)`` for each data row, every value stripped, or a :class:`BadRow`.

    A row is bad when a byte of it is not UTF-8, a cell is larger than the ``csv`` module's field limit,
    or it has more cells than the header; reading goes on after it. Blank lines are skipped.

    Args:
        path: The CSV file (UTF-8, a BOM is accepted).
        columns: The columns the format knows; others are ignored.
        required: Columns that must be in the header.
        cursor: Kept at the start of the next record after each one yielded (and after the header).
        span: ``(offset, line, count)``: only the ``count`` records from byte ``offset`` (at ``line``), as a
            :class:`Cursor` found them on an earlier read of the same file.

    Raises:
        CsvFormatError: the file cannot be opened, or its header is unreadable or lacks a required column.
    """
    try:
        fh = open(path, "rb")  # noqa: SIM115 - closed by the `with` below
    except OSError as exc:
        raise CsvFormatError(f"cannot open {path}: {exc}") from exc
    with fh:
        lines = _Lines(fh)
        reader = csv.reader(lines)
        try:
            header = [h.strip() for h in next(reader, [])]
        except csv.Error as exc:
            raise CsvFormatError(f"{path}: the header (line 1) is {_csv_problem(exc, '', [])}") from exc
        if lines.undecodable:
            raise CsvFormatError(f"{path}: the header (line 1) is not UTF-8")
        missing = [c for c in required if c not in header]
        if missing:
            raise CsvFormatError(f"{path}: missing column(s) {', '.join(missing)} (header: {','.join(header)})")
        where = {c: header.index(c) for c in columns if c in header}
        absent = {c: "" for c in columns if c not in where}
        left = -1  # items still to yield (-1: all)
        if span is not None:
            offset, line, left = span
            fh.seek(offset)
            lines = _Lines(fh, number=line - 1, position=offset)
            reader = csv.reader(lines)
        if cursor is not None:
            cursor.offset, cursor.line = lines.position, lines.number + 1
        while left != 0:
            start, start_offset = lines.number + 1, lines.position
            lines.current.clear()
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                items: list[_Record] = [BadRow(start, _csv_problem(exc, "".join(lines.current), header))]
                lines.undecodable.clear()
            else:
                if lines.undecodable:
                    text = "".join(lines.current)
                    items = []
                    for line, column, byte in lines.undecodable:
                        offset = sum(len(t) for t in lines.current[:line - start]) + column - 1
                        items.append(BadRow(line, f"not UTF-8{_cell_at(text, offset, header)}: byte 0x{byte:02x} "
                                                  f"at character {column} of the line cannot be decoded"))
                    lines.undecodable.clear()
                elif not cells:
                    continue
                elif len(cells) > len(header):
                    items = [BadRow(start, f"{len(cells)} cells where the header has {len(header)} "
                                           f"(a comma too many?)")]
                else:
                    row = {c: (cells[i].strip() if i < len(cells) else "") for c, i in where.items()}
                    if absent:
                        row |= absent
                    items = [(start, row)]
            if cursor is not None:
                cursor.offset, cursor.line = lines.position, lines.number + 1
                cursor.record_offset, cursor.record_line = start_offset, start
            left -= 1  # a record (one of its lines not UTF-8 each give a bad row: those come together)
            yield from items


def read_rows(path: str | Path, columns: tuple[str, ...], required: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield ``(line_number, row)`` for each data row, every value stripped.

    Args:
        path: The CSV file (UTF-8, a BOM is accepted).
        columns: The columns the format knows; others are ignored.
        required: Columns that must be in the header.

    Raises:
        CsvFormatError: the file cannot be read, lacks a required column, or a row cannot be decoded
            (the message names its line).
    """
    for record in read_records(path, columns, required):
        if isinstance(record, BadRow):
            raise CsvFormatError(f"{path}: {record}")
        yield record


#: A control character other than tab and line breaks.
CONTROL_CHARACTER = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def control_character(value: str) -> str | None:
    """The first control character of ``value`` other than tab and line breaks, as ``U+XXXX``, or None."""
    m = CONTROL_CHARACTER.search(value)
    return f"U+{ord(m.group()):04X}" if m else None


def parse_time(value: str) -> datetime:
    """An ISO 8601 timestamp that carries its time zone.

    Raises:
        ValueError: malformed, or without a zone (a naive time is ambiguous).
    """
    dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if dt.tzinfo is None:
        raise ValueError(f"time without a zone: {value!r}")
    return dt
