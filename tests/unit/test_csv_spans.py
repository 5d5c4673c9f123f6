"""A span of a CSV file found by one read (``Cursor``) reads back alone as the same records (``span=``).

The import's writer checks the whole file once and hands its workers spans (byte offset, line, count) to read
themselves; any slip of an offset would decide a row twice or not at all.
"""
from __future__ import annotations

import random

from bot.csvfile import BadRow, Cursor, read_records

COLUMNS = ("call_id", "reply", "reason")


def _file(tmp_path, rng: random.Random):
    lines = ["\ufeffcall_id,reply,reason\r\n"]
    texts = ["5", "满意", "2分，等了四十分钟", '说"好的"然后挂了', "第一行\n第二行，还是同一条", "  ", "a,b"]
    for n in range(200):
        cells = [f"c{n}", rng.choice(texts), rng.choice(texts)]
        lines.append(",".join('"' + c.replace('"', '""') + '"' if any(x in c for x in ',"\n') else c
                              for c in cells) + rng.choice(["\n", "\r\n"]))
        if rng.random() < 0.1:
            lines.append("\n")  # a blank line: skipped, never a record
    path = tmp_path / "f.csv"
    path.write_bytes("".join(lines).encode("utf-8"))
    return path


def test_spans_found_by_a_cursor_read_back_as_the_same_records(tmp_path):
    path = _file(tmp_path, random.Random(3))
    cursor = Cursor()
    whole, spans = [], []
    for n, item in enumerate(read_records(path, COLUMNS, ("call_id",), cursor=cursor)):
        assert not isinstance(item, BadRow)
        if n % 7 == 0:
            spans.append([cursor.record_offset, cursor.record_line, 0])
        spans[-1][2] += 1
        whole.append(item)
    assert len(whole) == 200 and len(spans) == 29
    again = [item for a, b, c in spans for item in read_records(path, COLUMNS, ("call_id",), span=(a, b, c))]
    assert again == whole
    assert [line for line, _ in whole][:1] == [2]
    assert any("\n" in row["reply"] or "\n" in row["reason"] for _, row in whole)  # quoted line breaks were there


def test_a_span_stops_after_its_count(tmp_path):
    path = _file(tmp_path, random.Random(5))
    cursor = Cursor()
    records = []
    for item in read_records(path, COLUMNS, ("call_id",), cursor=cursor):
        records.append((cursor.record_offset, cursor.record_line, item))
    offset, line, _ = records[50]
    assert list(read_records(path, COLUMNS, ("call_id",), span=(offset, line, 3))) == [r[2] for r in records[50:53]]
    assert list(read_records(path, COLUMNS, ("call_id",), span=(offset, line, 0))) == []
