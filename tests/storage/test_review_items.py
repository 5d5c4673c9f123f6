"""``review_items`` against the scanning query it replaced, on SQLite and PostgreSQL, through every path.

The reference is the queue's old query, kept verbatim in ``tests/review_queue_reference.py``.
After every step that can open or close an item (a dialogue turn and the
idle sweep, the bulk import's store, a skip, a single decision, a double
review's first and disagreeing second label, the admin's adjudication, an
appeal filed and decided, a customer's corrected rating, a shadow version's readings, its run stopped) the table-backed
queue must give the same items in the same order, and the same total, as the
reference, for several reviewers, thresholds, margins, filters and page
sizes. The first step also checks the order itself against a list written by
hand, so both cannot be wrong together; the last checks that the table kept
step by step equals a rebuild and the migration's frozen backfill. A shadow
run reading every reason otherwise (started, read, stopped) is part of the way.
"""
from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.conversation import calls, records, turns
from bot.conversation.sweep import sweep_idle
from bot.db.connection import engine_for
from bot.db.models import Call, Survey
from bot.db.review import ReviewItem
from bot.db.session import open_session
from bot.db.staff import Team
from bot.db.survey_facts import SurveyFact
from bot.domain import ATTRIBUTION, AppealMode
from bot.importing import bulk_store
from bot.learning import shadow
from bot.ledger import fact_table, review_items
from bot.staff import appeals, review, review_queue
from bot.staff.appeals import AppealPolicy
from bot.staff.review_queue import QueueFilter
from classifiers import CauseResult
from tests import rows
from tests.appeal_data import build_with_reviewers
from tests.review_queue_reference import reference_reason_items

NOW = datetime(2026, 12, 16, 4, 0, tzinfo=UTC)  # a Wednesday
UNSURE = CauseResult("company.system", "non_staff", 0.41, True, "", "test-model-1")
LEANS_STAFF = CauseResult("staff.competence", "staff", 0.52, True, "听不懂", "test-model-1")
CONFIDENT_STAFF = CauseResult("staff.attitude", "staff", 0.62, False, "爱答不理", "test-model-1")
FILTERS = (QueueFilter(), QueueFilter(team="一组"), QueueFilter(team="二组"), QueueFilter(cause="staff.attitude"),
           QueueFilter(cause="company.system"), QueueFilter(source="model"), QueueFilter(source="customer"),
           QueueFilter(source="appeal"), QueueFilter(team="一组", source="model"))
READINGS = ((None, 0.1), (0.57, 0.1))


def same_as_reference(url: str, reviewers=("R1", "R2"), filters=(QueueFilter(),), limits=(50, 3)) -> None:
    """The two queries agree (building the reference statement is slow: the full matrix runs at two steps only)."""
    with Session(engine_for(url)) as s:
        for reviewer in reviewers:
            for threshold, margin in READINGS:
                for f in filters:
                    for limit in limits:
                        args = dict(reviewer_id=reviewer, threshold=threshold, margin=margin, f=f, limit=limit)
                        new = review_queue.reason_items(s, **args)
                        assert new == reference_reason_items(s, **args), args


def order(url: str, reviewer: str = "R1", threshold: float | None = 0.57, margin: float = 0.1) -> list[int]:
    with Session(engine_for(url)) as s:
        items, total = review_queue.reason_items(s, reviewer_id=reviewer, threshold=threshold, margin=margin)
    assert total == len(items)
    return [i.reason_id for i in items]


def reads_policy(version: str, texts: list[str]) -> list[CauseResult]:
    """A shadow version that reads every reason as a rule of the company."""
    return [CauseResult("company.policy", "non_staff", 0.8, False, "", version) for _ in texts]


def fake(result: CauseResult):
    return lambda text: result


class Centre:
    """The appeal centre plus items of every kind, written through the real paths; ``ids`` by name."""

    def __init__(self, url: str, tmp_path):
        fact_table.install()
        self.url = url
        built, _ = build_with_reviewers(url, tmp_path, NOW)
        self.ids = {"base_review": built.a1_review_reason}
        self.surveys: dict[str, int] = {}
        self.ended: dict[str, datetime] = {}
        self.n = 0
        start = NOW - timedelta(days=2)
        with open_session(url) as s, s.begin():
            teams = {t.name: t.id for t in s.scalars(select(Team))}
            add = self._adder(s, teams)
            add("u4", "A3", "一组", 2, "staff.resolution", "model", None, start, needs_review=True)
            add("u1", "A1", "一组", 1, "staff.attitude", "model", 0.35, start + timedelta(hours=1), needs_review=True)
            add("u2", "B1", "二组", 3, "company.system", "model", 0.35, start + timedelta(hours=2), needs_review=True)
            add("u3", "A2", "一组", 4, "company.product", "model", 0.2, start + timedelta(hours=3), needs_review=True)
            add("d1", "A2", "一组", 2, "company.system", "customer", None, start + timedelta(hours=4),
                model_cause="staff.competence", model_confidence=0.52)
            add("d2", "B1", "二组", 1, "staff.attitude", "customer", None, start + timedelta(hours=5),
                model_cause="staff.competence", model_confidence=0.3)
            add("d3", "A3", "一组", 2, "company.policy", "customer", None, start + timedelta(hours=6),
                model_cause="company.product", model_confidence=0.45)
            add("n1", "A1", "一组", 2, "staff.attitude", "model", 0.60, start + timedelta(hours=7))
            add("n2", "A3", "一组", 1, "staff.competence", "model", 0.66, start + timedelta(hours=8))
            add("n3", "B1", "二组", 3, "staff.resolution", "model", 0.70, start + timedelta(hours=9))
            add("n4", "A2", "一组", 5, "staff.attitude", "model", 0.5, start + timedelta(hours=10))
        self._live()
        self._bulk(teams)

    def _adder(self, s, teams):
        def add(name, agent, team, score, cause, source, confidence, at, **kw):
            self.n += 1
            req = calls.CallRequest(call_id=f"item-{self.n:03d}", agent_ids=[agent], ended_at=at)
            survey, _ = calls.register_call(s, req, window_minutes=60, template_version="v1", now=at)
            s.get(Call, survey.call_id).team_id = teams[team]
            s.flush()
            self.surveys[name], self.ended[name] = survey.id, at
            rating = rows.record_rating(s, survey, score, f"{score}分", at + timedelta(minutes=2))
            self.ids[name] = rows.record_reason(s, rating, f"原因{name}", cause=cause, attribution=ATTRIBUTION[cause],
                                                source=source, confidence=confidence, now=at + timedelta(minutes=3),
                                                model_version="test-model-1", **kw).id
        return add

    def _live(self) -> None:
        """The dialogue's own turns: an unanswered cause question (finished by the sweep), a customer's choice."""
        at = NOW - timedelta(days=1)
        for name, texts, result in (("live_unsure", ["2分", "等了好久也没个说法"], UNSURE),
                                    ("live_disagree", ["1分", "人家说的我听不懂", "网络或系统"], LEANS_STAFF)):
            with open_session(self.url) as s, s.begin():
                req = calls.CallRequest(call_id=name, agent_ids=["A1"], ended_at=at)
                made, _ = calls.register_call(s, req, window_minutes=60, template_version="v1", now=at)
            for minute, text in enumerate(texts, start=1):
                with open_session(self.url) as s, s.begin():
                    turns.reply_turn(s, made.token, text, at + timedelta(minutes=minute), fake(result))
            at += timedelta(minutes=30)
        with open_session(self.url) as s, s.begin():
            assert sweep_idle(s, now=NOW - timedelta(hours=12), idle_after=timedelta(minutes=90),
                              classify=fake(UNSURE)) >= 1  # the other open surveys end too
        self._name_new("live_unsure", "live_disagree")

    def _bulk(self, teams) -> None:
        """The import's path: records built in memory, stored in bulk."""
        at = NOW - timedelta(hours=10)
        d = records.new_survey("bulk-1", ["A2"], at, teams["一组"], window_minutes=60, template_version="v1", now=at)
        records.start_turn(d, at + timedelta(minutes=1), "v1")
        records.reply_turn(d, "1分，那个客服爱答不理的", at + timedelta(minutes=1), fake(CONFIDENT_STAFF))
        with open_session(self.url) as s, s.begin():
            bulk_store.write_records(s, [d])
        self._name_new("bulk")

    def _name_new(self, *names: str) -> None:
        """Name the current reasons of the calls just made (the call id is the name, ``bulk-1`` for the import)."""
        with open_session(self.url) as s:
            for name in names:
                self.ids[name] = s.scalar(
                    select(SurveyFact.reason_id).join(Survey, Survey.id == SurveyFact.survey_id)
                    .join(Call, Call.id == Survey.call_id).where(Call.external_id == ("bulk-1" if name == "bulk" else name)))
                assert self.ids[name] is not None, name

    def names(self, ids: list[int]) -> list[str]:
        back = {v: k for k, v in self.ids.items()}
        return [back.get(i, f"?{i}") for i in ids]


def snapshot(url: str) -> list[tuple]:
    with Session(engine_for(url)) as s:
        return [tuple(getattr(r, c) for c in review_items.COLUMNS)
                for r in s.scalars(select(ReviewItem).order_by(ReviewItem.reason_id, ReviewItem.kind, ReviewItem.version))]


def test_the_table_backed_queue_equals_the_scanning_query_through_every_path(db_url, tmp_path):
    c = Centre(db_url, tmp_path)
    # By hand: consequential items first (a 1–3 whose staff/non-staff attribution is in doubt), lowest model
    # confidence first (none counts as 0), then the older; near-threshold ones below 0.57 + 0.1 only.
    expected = ["u4", "u1", "u2", "live_unsure", "d1", "live_disagree", "n1", "bulk", "n2", "base_review",
                "u3", "d2", "d3", "n4"]
    assert c.names(order(db_url)) == expected
    assert c.names(order(db_url, threshold=None)) == [n for n in expected if n not in ("n1", "bulk", "n2", "n4")]
    assert c.names(order(db_url, threshold=0.57, margin=0.0)) == [n for n in expected if n not in ("n1", "bulk", "n2")]
    same_as_reference(db_url, filters=FILTERS, limits=(50,))

    with open_session(db_url) as s, s.begin():  # a shadow version reads every reason otherwise
        shadow.do_start_shadow(s, "shadow-2", actor="admin:ADM", now=NOW - timedelta(days=3), current="test-model-1",
                               known=["shadow-2"])
        assert shadow.do_read_new_reasons(s, reads_policy, now=NOW) > 0
    with Session(engine_for(db_url)) as s:
        items, _ = review_queue.reason_items(s, reviewer_id="R1", threshold=0.57, margin=0.1)
    shadowed = [i.reason_id for i in items if i.kind == "shadow"]
    # n3 (0.70, clear of 0.57 + 0.1) becomes a shadow item; the near-threshold ones stay near-threshold items.
    assert "n3" in c.names(shadowed)
    assert c.names([i.reason_id for i in items if i.kind != "shadow"]) == expected
    same_as_reference(db_url, filters=FILTERS, limits=(50,))

    with open_session(db_url) as s, s.begin():  # a skip leaves the skipper's queue only
        assert review.do_skip(s, reason_id=c.ids["u4"], reviewer_id="R1", now=NOW).outcome == review.Outcome.SKIPPED
    assert "u4" not in c.names(order(db_url)) and c.names(order(db_url, "R2"))[0] == "u4"
    same_as_reference(db_url)

    with open_session(db_url) as s, s.begin():  # a single decision closes the item for everyone
        assert review.do_label(s, reason_id=c.ids["u1"], reviewer_id="R2", cause="staff.attitude", now=NOW,
                               double_share=0.0).outcome == review.Outcome.DECIDED
    assert "u1" not in c.names(order(db_url, "R1")) + c.names(order(db_url, "R2"))
    same_as_reference(db_url)

    with open_session(db_url) as s, s.begin():  # double review: the first label leaves the item to the other
        assert review.do_label(s, reason_id=c.ids["u2"], reviewer_id="R1", cause="company.system", now=NOW,
                               double_share=1.0).outcome == review.Outcome.AWAITING_SECOND
    assert "u2" in c.names(order(db_url, "R2")) and "u2" not in c.names(order(db_url, "R1"))
    same_as_reference(db_url)
    with open_session(db_url) as s, s.begin():  # a different second label: adjudication, out of every queue
        assert review.do_label(s, reason_id=c.ids["u2"], reviewer_id="R2", cause="staff.resolution", now=NOW,
                               double_share=1.0).outcome == review.Outcome.ADJUDICATION
    assert "u2" not in c.names(order(db_url, "R3"))
    same_as_reference(db_url, ("R1", "R2", "R3"))
    with open_session(db_url) as s, s.begin():
        assert review.do_adjudicate(s, reason_id=c.ids["u2"], admin_id="ADM", cause="company.system",
                                    now=NOW).outcome == review.Outcome.DECIDED
    same_as_reference(db_url, ("R1", "R3"))

    policy = AppealPolicy(mode=AppealMode.SUPERVISOR, tz="Asia/Shanghai")
    with open_session(db_url) as s, s.begin():  # an appeal filed takes the item out; rejected, it is back
        filed = appeals.do_file_appeal(s, agent_id="A1", reason_id=c.ids["n1"], text="客户说的是系统问题，我按流程办的",
                                       now=NOW, policy=policy, rng=random.Random(1))
        assert filed.appeal is not None, filed
        appeal_id = filed.appeal.id
    assert "n1" not in c.names(order(db_url, "R3"))
    same_as_reference(db_url, ("R3",))
    with open_session(db_url) as s, s.begin():
        assert appeals.do_decide_appeal(s, appeal_id=appeal_id, decider_id="S1", role="supervisor", upheld=False,
                                        cause=None, note="录音里确实态度冷淡", now=NOW + timedelta(hours=1)) is None
    assert "n1" in c.names(order(db_url, "R3"))
    same_as_reference(db_url, ("R3",))

    with open_session(db_url) as s, s.begin():  # the customer corrects the rating: its reason is no longer counted
        rows.record_rating(s, c.surveys["u3"], 5, "按错了，是5分", c.ended["u3"] + timedelta(minutes=10))
    assert "u3" not in c.names(order(db_url, "R3"))
    same_as_reference(db_url, ("R1", "R3"))

    same_as_reference(db_url, ("R1", "R2", "R3"), filters=FILTERS, limits=(50,))
    with open_session(db_url) as s, s.begin():  # the shadow run stops: its items leave the queue
        shadow.do_stop_shadow(s, actor="admin:ADM", now=NOW + timedelta(hours=2))
    assert not set(shadowed) & set(order(db_url, "R3"))
    same_as_reference(db_url, ("R3",))

    kept = snapshot(db_url)
    assert len(kept) >= 10
    with open_session(db_url) as s, s.begin():  # kept step by step == rebuilt from the canonical selection
        review_items.refresh_review_items(s, None)
    assert snapshot(db_url) == kept

    from alembic import command

    from bot.db.migrate import alembic_config, upgrade

    command.downgrade(alembic_config(db_url), "chanpages_fact_channel")  # the migration's frozen backfill gives the same
    engine_for.cache_clear()
    upgrade(db_url)
    assert snapshot(db_url) == kept
