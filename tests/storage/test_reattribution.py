"""Re-attribution on SQLite and PostgreSQL: preview which model-made attributions change and how KPIs move; apply.

The live model and the new version are stand-in readers with fixed answers;
the ratings arrive through the dialogue's one writer, a reviewer labels through
``bot.staff.review``, an import's cause through the writer too, and the KPIs
are the product's scoreboard. Expected figures are written out by hand.
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.conversation import calls, turns
from bot.db.audit import audit
from bot.db.connection import engine_for
from bot.db.models import AuditLog, Reason
from bot.domain import ATTRIBUTION, Role, SurveyStatus
from bot.learning import reattribution
from bot.scoring.board import score_period
from bot.staff import accounts, review
from classifiers import CauseResult
from tests import rows

T0 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
TZ = "Asia/Shanghai"
OLD, NEW = "20261101T000000Z-11111111", "20261201T000000Z-22222222"
# words -> (what the live model read then, what the new version reads)
READINGS = {
    "那个规定说了也白说，客服也没办法": ("staff.attitude", "company.policy"),  # A1: leaves the agent
    "排队排了半小时才接通": ("company.system", "company.system"),  # A1: unchanged
    "她说能退，结果根本退不了": ("company.product", "staff.competence"),  # A2: now the agent's
    "电话里说了半天还是没办好": ("staff.resolution", "staff.resolution"),  # A1: a reviewer decides it
    "态度一般般吧": ("staff.attitude", "company.policy"),  # A2: a reviewer decides it after the first preview
    "客服和系统可能都有问题": ("company.system", "staff.attitude"),  # A2: the customer chose
    "价格比别家贵太多": ("company.product", "staff.attitude"),  # A2: given in an import
}
UNSURE = "客服和系统可能都有问题"


def live(text: str) -> CauseResult:
    cause = READINGS[text][0]
    return CauseResult(cause, ATTRIBUTION[cause], 0.5 if text == UNSURE else 0.97, text == UNSURE, "", OLD)


def new_version(version: str, texts: list[str]) -> list[CauseResult]:
    assert version == NEW
    return [CauseResult(READINGS[t][1], ATTRIBUTION[READINGS[t][1]], 0.96, False, "", NEW) for t in texts]


def call(url: str, call_id: str, agent: str) -> str:
    with Session(engine_for(url)) as s, s.begin():
        req = calls.CallRequest(call_id=call_id, agent_ids=[agent], ended_at=T0)
        survey, _ = calls.register_call(s, req, window_minutes=60, template_version="v1", now=T0)
        return survey.token


def chat(url: str, agent: str, *messages: str) -> None:
    token = call(url, f"c-{messages[1]}", agent)
    for n, text in enumerate(messages):
        with Session(engine_for(url)) as s, s.begin():
            turns.reply_turn(s, token, text, T0 + timedelta(minutes=n + 1), live)


def reason_of(url: str, words: str) -> Reason:
    with Session(engine_for(url)) as s:
        r = s.scalars(select(Reason).where(Reason.text == words).order_by(Reason.id.desc())).first()
        assert r is not None
        s.expunge(r)
        return r


def label(url: str, words: str, cause: str) -> None:
    with Session(engine_for(url)) as s, s.begin():
        result = review.do_label(s, reason_id=reason_of(url, words).id, reviewer_id="R1", cause=cause,
                                 now=T0 + timedelta(hours=2), double_share=0.0)
        assert result.outcome == review.Outcome.DECIDED


def kpi(url: str) -> dict[str, tuple[int, int, int]]:
    with Session(engine_for(url)) as s:
        board = score_period(s, "2026-11", tz=TZ, min_sample=1)
        return {k.id: (k.counts.staff_low, k.counts.non_staff_low, k.counts.unattributed_low) for k in board.agents}


def preview(url: str) -> reattribution.Preview:
    with Session(engine_for(url)) as s:
        return reattribution.preview(s, NEW, "2026-11", tz=TZ, classify_many_with=new_version,
                                     now=T0 + timedelta(days=20))


def apply(url: str, digest: str) -> reattribution.Preview:
    with Session(engine_for(url)) as s, s.begin():
        return reattribution.do_apply(s, NEW, "2026-11", digest, tz=TZ, classify_many_with=new_version,
                                      actor="admin:ADM", now=T0 + timedelta(days=20))


def people(url: str) -> list[tuple]:
    """Every reason a person decided, as stored."""
    with Session(engine_for(url)) as s:
        return [(r.id, r.source, r.cause, r.text) for r in s.scalars(
            select(Reason).where(Reason.source != "model").order_by(Reason.id))]


@pytest.fixture()
def centre(db_url):
    with Session(engine_for(db_url)) as s, s.begin():
        assert accounts.do_add_staff(s, agent_id="R1", name="孙质检", role=Role.REVIEWER, password="a long password 1",
                                     actor="test", now=T0 - timedelta(days=1)) is None
    chat(db_url, "A1", "1分", "那个规定说了也白说，客服也没办法")
    chat(db_url, "A1", "2分", "排队排了半小时才接通")
    chat(db_url, "A1", "1分", "电话里说了半天还是没办好")
    chat(db_url, "A2", "1分", "她说能退，结果根本退不了")
    chat(db_url, "A2", "2分", "态度一般般吧")
    chat(db_url, "A2", "1分", UNSURE, "网络或系统")  # asked, the customer chose
    token = call(db_url, "imported", "A2")
    with Session(engine_for(db_url)) as s, s.begin():
        survey = calls.survey_by_token(s, token)
        rating = rows.record_rating(s, survey, 1, "1", T0 + timedelta(minutes=5))
        rows.set_status(s, survey, SurveyStatus.COMPLETED, T0 + timedelta(minutes=5), actor="import")
        rows.record_reason(s, rating, "价格比别家贵太多", cause="company.product", attribution="non_staff",
                           source="import", now=T0 + timedelta(minutes=5), actor="import")
    label(db_url, "电话里说了半天还是没办好", "company.policy")
    return db_url


def test_preview_lists_the_model_made_changes_and_the_kpi_moves_the_apply_then_makes(centre):
    url = centre
    assert (reason_of(url, UNSURE).source, reason_of(url, "价格比别家贵太多").source) == ("customer", "import")
    before = kpi(url)
    # (staff_low, non_staff_low, unattributed_low): A1 attitude | system, policy (reviewer);
    # A2 attitude | product, system (customer), product (import).
    assert before == {"A1": (1, 2, 0), "A2": (1, 3, 0)}
    people_before = people(url)

    first = preview(url)
    assert (first.read, [(c.text, c.old_cause, c.new_cause) for c in first.changes]) == (4, [
        ("那个规定说了也白说，客服也没办法", "staff.attitude", "company.policy"),
        ("她说能退，结果根本退不了", "company.product", "staff.competence"),
        ("态度一般般吧", "staff.attitude", "company.policy"),
    ])
    assert kpi(url) == before and people(url) == people_before  # a preview keeps nothing

    # A reviewer decides one of them after the preview: the confirmation no longer matches, nothing is applied.
    label(url, "态度一般般吧", "staff.attitude")
    people_now = people(url)
    with pytest.raises(reattribution.ReattributionError):
        apply(url, first.digest)
    assert kpi(url) == before and people(url) == people_now

    second = preview(url)
    assert [(c.text, c.new_cause) for c in second.changes] == [("那个规定说了也白说，客服也没办法", "company.policy"),
                                                               ("她说能退，结果根本退不了", "staff.competence")]
    moves = {m.agent_id: {k: v for k, v in m.figures.items() if k in ("staff_low", "non_staff_low")}
             for m in second.moves}
    assert moves == {"A1": {"staff_low": (1, 0), "non_staff_low": (2, 3)},
                     "A2": {"staff_low": (1, 2), "non_staff_low": (3, 2)}}

    applied = apply(url, second.digest)
    after = kpi(url)
    assert after == {"A1": (0, 3, 0), "A2": (2, 2, 0)}
    # Exactly as previewed, every figure shown.
    assert applied.moves == second.moves
    with Session(engine_for(url)) as s:
        board = {k.id: k.counts for k in score_period(s, "2026-11", tz=TZ, min_sample=1).agents}
    for m in second.moves:
        for figure, (_was, will) in m.figures.items():
            assert getattr(board[m.agent_id], figure) == will, (m.agent_id, figure)
    # People's labels are never overwritten: the reviewer's, the customer's and the import's stay current.
    assert people(url) == people_now
    for words, source in (("电话里说了半天还是没办好", "reviewer"), ("态度一般般吧", "reviewer"), (UNSURE, "customer"),
                          ("价格比别家贵太多", "import")):
        assert reason_of(url, words).source == source, words
    changed = reason_of(url, "她说能退，结果根本退不了")
    assert (changed.source, changed.cause, changed.model_version) == ("model", "staff.competence", NEW)
    with Session(engine_for(url)) as s:
        step = s.scalars(select(AuditLog).where(AuditLog.entity == "reattribution")).one()
        assert (step.actor, step.action, step.data["version"], step.data["period"], len(step.data["reasons"]),
                step.data["skipped"]) == ("admin:ADM", "applied", NEW, "2026-11", 2, [])
    # Applied once: a new preview finds nothing left to change.
    assert preview(url).changes == []



def test_a_write_committed_while_the_version_reads_does_not_fail_the_preview_or_the_apply(centre):
    """Another process commits while the new version classifies (the job worker's sweep, a live turn): the
    preview and the apply read the period again under their own transaction and go through."""
    url = centre
    committed = []

    def version_while_others_write(version: str, texts: list[str]) -> list[CauseResult]:
        with Session(engine_for(url)) as other, other.begin():
            audit(other, at=T0, actor="test", entity="survey", entity_id=str(len(committed)), action="touched")
        committed.append(len(texts))
        return new_version(version, texts)

    with Session(engine_for(url)) as s:
        s.execute(select(Reason.id)).all()  # the page's own reads (the admin's session) come first
        shown = reattribution.preview(s, NEW, "2026-11", tz=TZ, classify_many_with=version_while_others_write,
                                      now=T0 + timedelta(days=20))
    assert [(c.text, c.new_cause) for c in shown.changes] == [
        ("那个规定说了也白说，客服也没办法", "company.policy"), ("她说能退，结果根本退不了", "staff.competence"),
        ("态度一般般吧", "company.policy")]
    assert committed == [4]  # the period's four model-made texts, classified once
    with Session(engine_for(url)) as s, s.begin():
        reattribution.do_apply(s, NEW, "2026-11", shown.digest, tz=TZ, classify_many_with=version_while_others_write,
                               actor="admin:ADM", now=T0 + timedelta(days=20))
    # A1's attitude becomes policy; A2's attitude becomes policy and its product the agent's competence.
    assert kpi(url) == {"A1": (0, 3, 0), "A2": (1, 3, 0)}


def test_a_commit_between_the_measurements_reads_and_writes_cannot_fail_the_preview_on_sqlite(tmp_path, migrated):
    """SQLite (WAL): a transaction that has read cannot write once another connection committed after its read
    ("database is locked" after the busy timeout: a 500 on the page, seen when the job worker's sweep committed
    during a preview). The measurement takes the write lock before its first read, so another writer waits for
    it (here: gives up at once) instead of breaking it."""
    import sqlite3

    from sqlalchemy import event

    url = migrated.sqlite(tmp_path / "feedbackbot.db")
    for agent, messages in (("A1", ("1分", "那个规定说了也白说，客服也没办法")), ("A2", ("1分", "态度一般般吧"))):
        chat(url, agent, *messages)
    others: list[str] = []

    def another_writer_commits(conn, cursor, statement, *_args) -> None:
        if statement.startswith("INSERT INTO reasons") and not others:
            other = sqlite3.connect(url.removeprefix("sqlite:///"), timeout=0.2)
            try:
                with other:
                    other.execute("INSERT INTO audit_log (at, actor, entity, entity_id, action, data) "
                                  "VALUES ('2026-11-23 08:00:00', 'test', 'survey', '1', 'touched', '{}')")
                others.append("committed")
            except sqlite3.OperationalError as exc:
                others.append(str(exc))
            finally:
                other.close()

    engine = engine_for(url)
    event.listen(engine, "before_cursor_execute", another_writer_commits)
    try:
        with Session(engine) as s:
            shown = reattribution.preview(s, NEW, "2026-11", tz=TZ, classify_many_with=new_version,
                                          now=T0 + timedelta(days=20))
    finally:
        event.remove(engine, "before_cursor_execute", another_writer_commits)
    assert [(c.text, c.new_cause) for c in shown.changes] == [("那个规定说了也白说，客服也没办法", "company.policy"),
                                                              ("态度一般般吧", "company.policy")]
    assert others == ["database is locked"]  # it waited for the measurement instead of breaking it
