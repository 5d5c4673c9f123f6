"""The staff commands as a user runs them: exit codes and messages."""
from __future__ import annotations

import io

from sqlalchemy import select

from bot.cli.main import main
from bot.db.migrate import upgrade
from bot.db.session import open_session
from bot.db.staff import Account


def test_roster_import_and_set_password(sqlite_url, tmp_path, monkeypatch, capsys):
    upgrade(sqlite_url)
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    roster = tmp_path / "roster.csv"
    roster.write_text("agent_id,name,team,supervisor_id,role\nS1,王主管,一组,,supervisor\n"
                      "A1,张三,一组,S1,agent\nA2,李四,一组,S1,cleaner\n", encoding="utf-8")
    assert main(["roster", "import", str(roster)]) == 1  # one bad row
    out = capsys.readouterr()
    assert "line 4: unknown role 'cleaner'" in out.err and "agents created: 2" in out.out

    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert main(["user", "set-password", "A1", "--password-stdin"]) == 2
    assert "at least 10" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", io.StringIO("a long enough password\n"))
    assert main(["user", "set-password", "A1", "--password-stdin"]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("a long enough password\n"))
    assert main(["user", "set-password", "NOBODY", "--password-stdin"]) == 2
    with open_session(sqlite_url) as s:
        assert s.scalar(select(Account.password_hash)).startswith("$argon2id$")


def test_import_ratings_refuses_a_file_with_a_bad_row_and_names_its_line(sqlite_url, tmp_path, monkeypatch, capsys):
    upgrade(sqlite_url)
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    path = tmp_path / "r.csv"
    path.write_text("call_id,agent_id,team,ended_at,replied_at,reply,reason,cause\n"
                    "c1,A1,一组,2026-11-02T10:00:00+08:00,2026-11-02T10:05:00+08:00,5,,\n"
                    "c2,A1,一组,2026-11-02T10:00:00,,,,\n", encoding="utf-8")
    assert main(["import-ratings", str(path), "--no-progress"]) == 1
    out = capsys.readouterr()
    assert "line 3: ended_at" in out.err
    # A file with a bad row is refused whole (the import is all or nothing per file): the good row waits too.
    assert "rows read: 2; nothing imported: 1 problem(s)" in out.out and "nothing written" in out.err
