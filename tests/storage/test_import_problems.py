"""A ratings file with a problem anywhere is refused whole; repeats of a call id with other data are conflicts.

The problems sit after the first batch of 500 rows, where the import used to have committed rows already.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select

from bot.db.models import Call, CallAgent, Rating
from bot.db.session import open_session
from bot.importing import history
from bot.settings import Settings

HEADER = "call_id,agent_id,team,ended_at,replied_at,reply,reason,cause\n"
FEEDBACKBOT = [sys.executable, "-c", "import sys; from bot.cli.main import main; sys.exit(main())"]


def _row(n: int, reply: str = "5", reason: str = "") -> str:
    minute = n % 60
    return (f"c{n},A{n % 7},一组,2026-11-02T10:{minute:02d}:00+08:00,2026-11-02T10:{minute:02d}:30+08:00,"
            f"{reply},{reason},\n")


def _broken_file(path: Path) -> None:
    """1,200 rows (lines 2 to 1,201) with four broken ones after line 500."""
    with open(path, "wb") as fh:
        fh.write(HEADER.encode())
        for n in range(2, 1202):
            if n == 800:
                fh.write(_row(n, "4分").encode().replace("4分".encode(), b"4\xff"))  # not UTF-8
            elif n == 1100:
                fh.write(_row(n, "5", "很" * 140_000).encode())  # over the csv module's 131,072 limit
            elif n == 1150:
                fh.write(_row(n, "3", "等了\x07好久").encode())
            elif n == 1180:
                fh.write(_row(n).replace("\n", ",多余\n").encode())
            else:
                fh.write(_row(n, str(n % 5 + 1)).encode())


def _count(url: str, model: type) -> int:
    with open_session(url) as s:
        return s.scalar(select(func.count()).select_from(model))


def test_bad_rows_after_the_first_batch_refuse_the_whole_file(db_url, tmp_path):
    path = tmp_path / "broken.csv"
    _broken_file(path)
    summary = history.import_file(Settings(database_url=db_url), path, progress=False, workers=0)
    assert summary.refused and summary.imported == 0
    assert [b.line for b in summary.bad] == [800, 1100, 1150, 1180]
    bad = {b.line: b.reason for b in summary.bad}
    assert bad[800].startswith("not UTF-8, column reply: byte 0xff")
    assert bad[1100].startswith("column reason is larger than 131,072 characters")
    assert bad[1150] == "reason contains the control character U+0007"
    assert bad[1180].startswith("9 cells where the header has 8")
    assert _count(db_url, Call) == 0


def test_the_command_names_each_line_in_english_without_a_traceback(sqlite_url, tmp_path):
    path = tmp_path / "broken.csv"
    _broken_file(path)
    env = dict(os.environ, DATABASE_URL=sqlite_url)
    done = subprocess.run([*FEEDBACKBOT, "import-ratings", str(path), "--no-progress"], env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert "bad row: line 800: not UTF-8, column reply: byte 0xff at character" in done.stderr
    assert "bad row: line 1100: column reason is larger than 131,072 characters" in done.stderr
    assert f"error: {path} was not imported (nothing written)" in done.stderr
    assert "nothing imported: 4 problem(s) in the file" in done.stdout


def test_a_call_id_repeated_with_other_data_in_the_file_is_a_conflict(db_url, tmp_path):
    path = tmp_path / "repeats.csv"
    path.write_text(HEADER
                    + "r1,A1,一组,2026-11-02T10:00:00+08:00,2026-11-02T10:05:00+08:00,5,,\n"
                    + "r2,A1,一组,2026-11-02T11:00:00+08:00,2026-11-02T11:02:00+08:00,2,套餐太贵了,\n"
                    + "r1,A1,一组,2026-11-02T02:00:00Z,2026-11-02T02:05:00Z,5,,\n"  # the same, in UTC: a repeat
                    + "r1,A2,一组,2026-11-02T10:00:00+08:00,2026-11-02T10:05:00+08:00,5,,\n"
                    + "r2,A1,一组,2026-11-02T11:00:00+08:00,2026-11-02T11:09:00+08:00,2,套餐太贵了,\n",
                    encoding="utf-8")
    summary = history.import_file(Settings(database_url=db_url), path, progress=False, workers=0)
    assert summary.refused
    assert [str(b) for b in summary.bad] == [
        "line 5: conflict: the call id repeats line 2 with another agent_id ('A1' there, 'A2' here)",
        "line 6: conflict: the call id repeats line 3 with another replied_at "
        "('2026-11-02T03:02:00+00:00' there, '2026-11-02T03:09:00+00:00' here)",
    ]
    assert _count(db_url, Call) == 0


def test_exact_repeats_are_already_present(db_url, tmp_path):
    path = tmp_path / "repeats.csv"
    row = "r1,A1,一组,2026-11-02T10:00:00+08:00,2026-11-02T10:05:00+08:00,4分,,\n"
    path.write_text(HEADER + row + row, encoding="utf-8")
    summary = history.import_file(Settings(database_url=db_url), path, progress=False, workers=0)
    assert (summary.refused, summary.imported, summary.already_present) == (False, 1, 1)
    assert (_count(db_url, Call), _count(db_url, Rating)) == (1, 1)


def test_a_call_stored_with_other_data_is_a_conflict_and_is_kept(db_url, tmp_path):
    first = tmp_path / "first.csv"
    first.write_text(HEADER
                     + "k1,A1,一组,2026-11-02T10:00:00+08:00,2026-11-02T10:05:00+08:00,5,,\n"
                     + "k2,A1,一组,2026-11-02T11:00:00+08:00,2026-11-02T11:03:00+08:00,1分，客服态度太差了,,\n"
                     + "k3,A2,一组,2026-11-02T12:00:00+08:00,,,,\n"
                     + "k4,A2,一组,2026-11-02T13:00:00+08:00,2026-11-02T13:04:00+08:00,3,,\n",
                     encoding="utf-8")
    assert history.import_file(Settings(database_url=db_url), first, progress=False, workers=0).imported == 4
    second = tmp_path / "second.csv"
    second.write_text(HEADER
                      + "k1,A9,一组,2026-11-02T10:00:00+08:00,2026-11-02T10:05:00+08:00,5,,\n"
                      + "k2,A1,一组,2026-11-02T11:00:00+08:00,2026-11-02T11:03:00+08:00,2分，客服态度太差了,,\n"
                      + "k3,A2,一组,2026-11-02T12:00:00+08:00,,,,\n"
                      + "k4,A2,一组,2026-11-02T13:30:00+08:00,2026-11-02T13:34:00+08:00,3,,\n"
                      + "k5,A2,一组,2026-11-02T14:00:00+08:00,2026-11-02T14:01:00+08:00,4,,\n",
                      encoding="utf-8")
    summary = history.import_file(Settings(database_url=db_url), second, progress=False, workers=0)
    assert (summary.refused, summary.imported, summary.already_present) == (False, 1, 1)
    lines = {b.line: b.reason for b in summary.conflicts.rows}
    assert sorted(lines) == [2, 3, 5]
    assert "another agent (A1 stored, A9 here)" in lines[2]
    assert "another score ([1] stored, [2] here)" in lines[3]
    assert "end time (2026-11-02 05:00:00 UTC stored, 2026-11-02 05:30:00 UTC here)" in lines[5]
    assert all(reason.endswith("the stored call is kept") for reason in lines.values())
    with open_session(db_url) as s:
        assert s.scalar(select(CallAgent.agent_id).join(Call).where(Call.external_id == "k1")) == "A1"
    assert _count(db_url, Call) == 5
