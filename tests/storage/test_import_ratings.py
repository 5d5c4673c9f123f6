"""Historical import through the survey core, with the promoted classifier, on SQLite and PostgreSQL.

Also: a file with any bad row is refused whole, wherever the row is; conflicting repeats of a call id (in the
file or against the database) are reported line by line. ``test_import_resume.py`` kills a real import.
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.csvfile import CsvFormatError
from bot.db.models import Agent, AuditLog, Call, Rating, Reason, Survey
from bot.db.session import open_session
from bot.db.staff import Team, TeamMembership
from bot.importing import history
from bot.ledger import counting
from bot.settings import Settings

# Times in Beijing time; the survey window is 60 minutes from ended_at.
CSV = """\ufeffcall_id,agent_id,team,ended_at,replied_at,reply,reason,cause
high,A1,一组,2026-11-02T10:00:00+08:00,2026-11-02T10:05:00+08:00,5,,
staff,A1,一组,2026-11-02T11:00:00+08:00,2026-11-02T11:03:00+08:00,1分，客服态度太差了,,
nonstaff,A2,一组,2026-11-02T12:00:00+08:00,2026-11-02T12:02:00+08:00,2,套餐太贵了，每个月乱扣费,
unclear,A2,一组,2026-11-02T13:00:00+08:00,2026-11-02T13:10:00+08:00,2,问题没解决,
fixed,A1,一组,2026-11-02T14:00:00+08:00,2026-11-02T14:01:00+08:00,2,刚才按错了，应该是5分,
given,B1,二组,2026-11-03T09:00:00+08:00,2026-11-03T09:20:00+08:00,1,等了四十分钟才接通,staff.attitude
late,A1,一组,2026-11-03T10:00:00+08:00,2026-11-03T12:30:00+08:00,1分，客服态度太差了,,
silent,A2,一组,2026-11-03T11:00:00+08:00,,,,
badtime,A1,一组,2026/11/03 12:00,2026-11-03T12:05:00+08:00,4,,
badcause,A1,一组,2026-11-03T13:00:00+08:00,2026-11-03T13:05:00+08:00,1,态度不好,staff.rudeness
,A1,一组,2026-11-03T14:00:00+08:00,2026-11-03T14:05:00+08:00,4,,
newbie,N9,三组,2026-11-04T09:00:00Z,2026-11-04T09:30:00Z,4,,
"""
# The same file without its three bad rows (lines 10 to 12).
GOOD_CSV = "".join(line for n, line in enumerate(CSV.splitlines(keepends=True), 1) if n not in (10, 11, 12))
BJ = timedelta(hours=8)


@pytest.fixture()
def csv_file(tmp_path):
    path = tmp_path / "ratings.csv"
    path.write_text(GOOD_CSV, encoding="utf-8")
    return path


def run(db_url, path, workers=0):
    return history.import_file(Settings(database_url=db_url), path, batch_size=4, progress=False, workers=workers)


def survey_of(s, call_id) -> Survey:
    return s.scalar(select(Survey).join(Call).where(Call.external_id == call_id))


def ratings(s, call_id) -> list[tuple[int, str]]:
    return [(r.score, r.status) for r in survey_of(s, call_id).ratings]


def current_reason(s, call_id) -> Reason | None:
    rating = counting.counted_rating(s, survey_of(s, call_id).id)
    return counting.current_reason(s, rating.id) if rating else None


def table_counts(s) -> dict[str, int]:
    return {m.__name__: s.scalar(select(func.count()).select_from(m))
            for m in (Agent, Team, TeamMembership, Call, Survey, Rating, Reason, AuditLog)}


@pytest.mark.parametrize("workers", [0, 2])
def test_import_replays_every_row_through_the_survey_core(db_url, csv_file, workers):
    summary = run(db_url, csv_file, workers)
    assert (summary.read, summary.imported, summary.already_present, summary.refused) == (9, 9, 0, False)
    assert (summary.late, summary.no_reply, summary.for_review) == (1, 1, 1)
    assert summary.bad == [] and len(summary.conflicts) == 0

    with open_session(db_url) as s:
        # The window counts from ended_at, not from the import.
        high = survey_of(s, "high")
        ended = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)
        assert high.sent_at.replace(tzinfo=UTC) == ended
        assert high.expires_at.replace(tzinfo=UTC) == ended + timedelta(minutes=60)
        assert (ratings(s, "high"), high.status) == ([(5, "valid")], "completed")

        r = current_reason(s, "staff")
        assert (r.cause, r.attribution, r.source, r.needs_review) == ("staff.attitude", "staff", "model", False)

        r = current_reason(s, "nonstaff")
        assert (r.cause, r.attribution, r.source, r.needs_review) == ("company.product", "non_staff", "model", False)

        # Whose fault is unclear: the live dialogue would ask; nobody can, so it waits for review.
        r = current_reason(s, "unclear")
        assert (r.text, r.source, r.needs_review) == ("问题没解决", "model", True)
        assert survey_of(s, "unclear").status == "completed"

        # The second message corrects the score, as in a live chat.
        assert ratings(s, "fixed") == [(2, "corrected"), (5, "valid")]

        # A cause given in the file supersedes the model's reading and counts as confirmed.
        r = current_reason(s, "given")
        assert (r.cause, r.attribution, r.source, r.needs_review) == ("staff.attitude", "staff", "import", False)
        older = s.get(Reason, r.supersedes_id)
        assert (older.cause, older.source) == ("company.system", "model")

        # A reply after the window is kept as late, never counted.
        assert ratings(s, "late") == [(1, "late")]
        assert counting.counted_rating(s, survey_of(s, "late").id) is None
        assert survey_of(s, "late").status == "expired"

        silent = survey_of(s, "silent")
        assert (silent.ratings, silent.status) == ([], "expired")

        # Unknown agents and teams are created; the call carries the row's team.
        assert s.get(Agent, "N9") is not None
        team3 = s.scalar(select(Team).where(Team.name == "三组"))
        assert s.scalar(select(Call.team_id).where(Call.external_id == "newbie")) == team3.id
        assert s.scalar(select(TeamMembership.team_id).where(TeamMembership.agent_id == "N9")) == team3.id
        team2 = s.scalar(select(Team.id).where(Team.name == "二组"))
        assert s.scalar(select(Call.team_id).where(Call.external_id == "given")) == team2
        assert s.scalar(select(func.count()).select_from(Call).where(Call.external_id.in_(["badtime", "badcause"]))) == 0

        # Same audit as live turns: every rating and reason has its "created" row.
        for entity, model in (("rating", Rating), ("reason", Reason)):
            audited = s.scalar(select(func.count()).select_from(AuditLog).where(
                AuditLog.entity == entity, AuditLog.action == "created"))
            assert audited == s.scalar(select(func.count()).select_from(model))


def test_a_file_with_bad_rows_is_refused_whole(db_url, tmp_path):
    path = tmp_path / "ratings.csv"
    path.write_text(CSV, encoding="utf-8")
    summary = run(db_url, path)
    assert (summary.refused, summary.read, summary.imported) == (True, 12, 0)
    assert [(b.line, b.reason.split()[0]) for b in summary.bad] == [(10, "ended_at"), (11, "unknown"), (12, "empty")]
    assert "staff.rudeness" in summary.bad[1].reason and "call_id" in summary.bad[2].reason
    with open_session(db_url) as s:
        assert s.scalar(select(func.count()).select_from(Call)) == 0
        assert s.scalar(select(func.count()).select_from(Agent)) == 0


def test_second_import_changes_nothing(db_url, csv_file):
    run(db_url, csv_file)
    with open_session(db_url) as s:
        before = table_counts(s)
    again = run(db_url, csv_file)
    assert (again.read, again.imported, again.already_present, len(again.bad)) == (9, 0, 9, 0)
    assert len(again.conflicts) == 0
    with open_session(db_url) as s:
        assert table_counts(s) == before


def test_pii_is_redacted_as_in_live_turns(db_url, tmp_path):
    path = tmp_path / "pii.csv"
    path.write_text("call_id,agent_id,team,ended_at,replied_at,reply,reason,cause\n"
                    "p1,A1,一组,2026-11-02T10:00:00+08:00,2026-11-02T10:05:00+08:00,1,"
                    "客服态度太差了，我手机13812345678打了三次,\n", encoding="utf-8")
    assert run(db_url, path).imported == 1
    with open_session(db_url) as s:
        assert "13812345678" not in current_reason(s, "p1").text


def test_missing_column_is_refused_before_importing(db_url, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("call_id,agent_id,ended_at\nc1,A1,2026-11-02T10:00:00+08:00\n", encoding="utf-8")
    with pytest.raises(CsvFormatError, match="replied_at"):
        run(db_url, path)


def test_imported_tokens_follow_the_calls_end_and_keep_their_random_part(db_url, csv_file):
    """An imported survey's token is its call's end (milliseconds, 11 hex digits) then 128 random bits, so a file
    in time order adds tokens at the end of their index; a live survey's token is the random part alone."""
    from bot.conversation import calls

    run(db_url, csv_file)
    with open_session(db_url) as s, s.begin():
        imported = s.execute(select(Call.ended_at, Survey.token).join(Survey, Survey.call_id == Call.id)
                             .order_by(Call.ended_at)).all()
        live, _ = calls.register_call(s, calls.CallRequest("live-1", ["A1"], datetime(2026, 11, 5, 2, 0, tzinfo=UTC)),
                                      window_minutes=60, template_version="v1")
    assert len(imported) == 9
    for ended_at, token in imported:
        ended = ended_at if ended_at.tzinfo else ended_at.replace(tzinfo=UTC)
        assert token[:11] == format(int(ended.timestamp() * 1000), "011x")
        assert len(token) == 11 + 22  # token_urlsafe(16): 128 bits
    assert [t for _, t in imported] == sorted(t for _, t in imported)
    assert len({t[11:] for _, t in imported}) == 9
    assert len(live.token) == 22
