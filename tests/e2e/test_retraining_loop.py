"""The learning loop end to end, on SQLite: ratings arrive, a reviewer relabels, retraining, gate, promotion, rollback.

One module-scoped world, trained once (the full corpus plus the database's
labels: a minute or two):

* a model store holding a copy of this checkout's promoted model (``BASE``),
  promoted in a fresh database's history;
* a real action server on that database and store (its own process, as in
  production), through which customers' reasons arrive and are classified;
* a reviewer relabels some of them through ``bot.staff.review``;
* ``feedbackbot classifier train --with-labels --promote`` reads those labels,
  trains a version, compares it with ``BASE`` on the frozen sets and promotes it
  if the gate allows; if it refuses (a retrained model may blame one more text of
  a frozen set: the gate counts single texts), the admin overrides through the
  same gate with a written reason, as the model page's promotion job does;
* ``feedbackbot classify`` and the running action server then classify with the
  new version; ``feedbackbot classifier rollback`` brings ``BASE`` back, and the
  promotion history in the database shows both steps.
"""
from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from bot.conversation import calls
from bot.db.migrate import upgrade
from bot.db.models import AuditLog, Reason
from bot.db.session import open_session
from bot.domain import Role
from bot.learning.promotion import promote_version
from bot.model_store import configure_classifier, do_promote, history
from bot.ops.stack import free_port
from bot.settings import DEV_ACTION_SERVER_TOKEN, ROOT, Settings
from bot.staff import accounts, review
from classifiers import api, registry

pytestmark = pytest.mark.slow

#: Customers' reasons and what the reviewer decides each one was (the reviewer's label is the truth).
RELABELLED = [
    ("驿站的取件码短信一直收不到，柜子打不开", "company.network"),
    ("小程序上的积分兑换页面一直转圈，换不了", "company.system"),
    ("保价规则说改就改，事先也没通知，多收了我钱", "company.policy"),
]
#: Reasons nobody relabels (they still arrive and are classified).
UNTOUCHED = ["等了很久才有人接电话", "客服态度很差，说话很冲"]
PROBE = "客服一直打断我说话，态度太差了"
WHY = "新版本学会了本中心的说法，误归的一条已人工核对"


@dataclass
class World:
    url: str
    store: Path
    base: str
    actions_url: str
    env: dict[str, str]
    before_action: str = ""
    before_classify: dict = field(default_factory=dict)
    labels_read: str = ""
    candidate: str = ""
    train_rc: int = -1
    train_err: str = ""
    override: dict | None = None  # the admin's override, when the gate refused


def cli(env: dict[str, str], *argv: str, stdin: str = "") -> tuple[int, str, str]:
    """``feedbackbot ARGV`` in this process (the model loaded once, as a long-running tool keeps it)."""
    from bot.cli.main import main

    out, err = io.StringIO(), io.StringIO()
    mp = pytest.MonkeyPatch()
    for key, value in env.items():
        mp.setenv(key, value)
    mp.setattr("sys.stdin", io.StringIO(stdin))
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            rc = main(list(argv))
    finally:
        mp.undo()
    return rc, out.getvalue(), err.getvalue()


def classify_cli(env: dict[str, str], text: str) -> dict:
    """``feedbackbot classify`` on one line, as a fresh process runs it (it loads the promoted version at start)."""
    api._reset_for_tests()
    rc, out, err = cli(env, "classify", stdin=json.dumps({"id": 1, "text": text}, ensure_ascii=False) + "\n")
    assert rc == 0, err
    return json.loads(out)


def action_call(token: str, text: str) -> dict:
    """What Rasa sends the action server for a customer's message (the domain has no slots)."""
    return {"next_action": "action_handle_reply", "sender_id": token, "version": "3.6.21", "domain": None,
            "tracker": {"sender_id": token, "slots": {}, "latest_message": {
                "text": text, "intent": {"name": "nlu_fallback", "confidence": 1.0}, "entities": []},
                "events": [], "paused": False, "followup_action": None, "active_loop": {},
                "latest_action_name": "action_listen", "latest_event_time": 0.0, "latest_input_channel": "rest"}}


def customer_says(world_url: str, actions_url: str, call_id: str, score: str, reason: str) -> Reason:
    """A call ends, the customer gives ``score`` and ``reason`` through the action server; the stored reason."""
    with open_session(world_url) as s, s.begin():
        req = calls.CallRequest(call_id=call_id, agent_ids=["A1"], ended_at=datetime.now(UTC))
        survey, _ = calls.register_call(s, req, window_minutes=60, template_version="v1")
        token = survey.token
    for text in (score, reason):
        r = httpx.post(actions_url, json=action_call(token, text), timeout=60,
                       headers={"Authorization": f"Bearer {DEV_ACTION_SERVER_TOKEN}"})
        assert r.status_code == 200, r.text
    with open_session(world_url) as s:
        survey = calls.survey_by_token(s, token)
        assert survey is not None
        reasons = [x for rating in survey.ratings for x in rating.reasons]
        assert reasons, f"no reason stored for {reason!r}"
        s.expunge_all()
        return reasons[-1]


def action_server_reads_with(world: World, version: str, tag: str, timeout: float = 15.0) -> str:
    """The version the running action server classifies with, waiting up to ``timeout`` s for it to be ``version``."""
    deadline = time.monotonic() + timeout
    n = 0
    while True:
        n += 1
        seen = customer_says(world.url, world.actions_url, f"{tag}-{n}", "1分", PROBE).model_version or ""
        if seen == version or time.monotonic() > deadline:
            return seen
        time.sleep(0.5)


@contextlib.contextmanager
def action_server(env: dict[str, str], log: Path) -> Iterator[str]:
    port = free_port()
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "actions.server", "-p", str(port)], cwd=ROOT,
                                env={**os.environ, **env, "PYTHONPATH": str(ROOT)}, stdout=out,
                                stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                pytest.fail("action server exited:\n" + log.read_text(errors="replace")[-3000:])
            try:
                if httpx.get(f"http://127.0.0.1:{port}/ready", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("action server not ready within 120 s")
            time.sleep(0.3)
        yield f"http://127.0.0.1:{port}/webhook"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Iterator[World]:
    base_dir = tmp_path_factory.mktemp("learning-loop")
    url = f"sqlite:///{base_dir / 'feedbackbot.db'}"
    upgrade(url)
    source_root = Settings.from_env({}).model_dir
    base = registry.read_current_file(source_root)
    if not base:
        pytest.fail(f"no promoted model under {source_root}: run `feedbackbot classifier ensure`", pytrace=False)
    store = base_dir / "models"
    shutil.copytree(source_root / base, store / base)
    with open_session(url) as s, s.begin():
        do_promote(s, base, actor="system", why="the model this centre started with", root=store)
        assert accounts.do_add_staff(s, agent_id="R1", name="孙质检", role=Role.REVIEWER,
                                     password="a long password 1", actor="test",
                                     now=datetime.now(UTC) - timedelta(days=1)) is None
    env = {"DATABASE_URL": url, "FEEDBACKBOT_MODEL_DIR": str(store), "FEEDBACKBOT_ENV": "development"}
    previous = registry.configuration()
    try:
        with action_server(env, base_dir / "actions.log") as actions_url:
            world = World(url=url, store=store, base=base, actions_url=actions_url, env=env)
            # Ratings arrive through the live path and are classified by the promoted BASE.
            arrived = {text: customer_says(url, actions_url, f"arrive-{n}", "1分", text)
                       for n, text in enumerate([t for t, _ in RELABELLED] + UNTOUCHED)}
            assert {r.model_version for r in arrived.values()} == {base}
            world.before_action = action_server_reads_with(world, base, "before")
            world.before_classify = classify_cli(env, PROBE)
            # A reviewer relabels some of them.
            with open_session(url) as s, s.begin():
                for text, cause in RELABELLED:
                    result = review.do_label(s, reason_id=arrived[text].id, reviewer_id="R1", cause=cause,
                                             now=datetime.now(UTC), double_share=0.0, note="按客户原话判断")
                    assert result.outcome == review.Outcome.DECIDED, (text, result)
            # Retrain with the labels and promote through the gate: the one training of this module.
            world.train_rc, out, world.train_err = cli(env, "classifier", "train", "--with-labels", "--promote",
                                                       "--who", "cli:ops")
            world.candidate = out.strip().splitlines()[-1] if out.strip() else ""
            if world.train_rc == 3:
                settings = Settings.from_env(env)
                configure_classifier(settings, actor="cli:ops")
                world.override = promote_version(settings, world.candidate, "admin:ADM", force=True, why=WHY)
            yield world
    finally:
        registry.restore(previous)
        api._reset_for_tests()


def test_retraining_reads_the_reviewers_labels_and_the_gate_compares_on_every_frozen_set(world):
    assert world.train_rc in (0, 3), world.train_err[-4000:]
    assert world.candidate in registry.list_versions(world.store) and world.candidate != world.base
    assert "3 person labels and 0 decided appeals read from the database" in world.train_err
    card = json.loads((world.store / world.candidate / "datacard.json").read_text(encoding="utf-8"))
    trained = [json.loads(line) for line in
               (world.store / world.candidate / "training_labels.jsonl").read_text(encoding="utf-8").splitlines()]
    assert sorted((t["cause"], t["source"]) for t in trained) == sorted((c, "reviewer") for _, c in RELABELLED)
    assert (card["labels"]["trained"], card["labels"]["by_source"]) == (3, {"reviewer": 3})
    # The gate's side-by-side table names each frozen set, with its answer.
    for frozen in ("test_split_v1", "independent_eval ", "independent_eval_2"):
        assert f"\n{frozen}" in world.train_err, frozen
    if world.train_rc == 0:
        assert "ALLOWED" in world.train_err and f"promoted {world.candidate}" in world.train_err
        assert world.override is None
    else:
        assert "REFUSED: " in world.train_err and f"{world.candidate} is not promoted" in world.train_err
        assert world.override is not None
        assert (world.override["promoted"], world.override["forced"], world.override["to"]) == \
            (True, True, world.candidate)
    print(f"gate: {'allowed' if world.train_rc == 0 else 'refused, overridden'}")


def test_promotion_moves_classify_and_the_live_dialogue_and_rollback_brings_the_old_one_back(world):
    assert world.train_rc in (0, 3), world.train_err[-4000:]
    assert world.before_action == world.base and world.before_classify["model_version"] == world.base
    # Promoted: the command line and the running action server (never restarted) use the new version.
    assert classify_cli(world.env, PROBE)["model_version"] == world.candidate
    assert action_server_reads_with(world, world.candidate, "after") == world.candidate
    # What was learnt: the relabelled words now read as the reviewer said.
    for text, cause in RELABELLED:
        assert classify_cli(world.env, text)["cause"] == cause, text

    rc, out, err = cli(world.env, "classifier", "rollback", "--who", "cli:ops", "--why", "坐席反映新版本误判")
    assert rc == 0, err
    assert out.strip() == f"rolled back {world.candidate} -> {world.base}"
    assert classify_cli(world.env, PROBE)["model_version"] == world.base
    assert action_server_reads_with(world, world.base, "rolled-back") == world.base

    with open_session(world.url) as s:
        rows = [(h.action, h.actor, h.from_version, h.to_version, h.why) for h in reversed(history(s))]
        audits = [(a.action, a.entity_id, a.data.get("why")) for a in s.scalars(
            select(AuditLog).where(AuditLog.entity == "classifier_model").order_by(AuditLog.id))]
        promoted = history(s)[1]
        assert promoted.report is not None
        assert (promoted.report["forced"], promoted.report["decision"]["allowed"]) == \
            ((False, True) if world.override is None else (True, False))
    who, why = ("cli:ops", None) if world.override is None else ("admin:ADM", WHY)
    assert rows == [("initial", "system", None, world.base, "the model this centre started with"),
                    ("promote", who, world.base, world.candidate, why),
                    ("rollback", "cli:ops", world.candidate, world.base, "坐席反映新版本误判")]
    assert audits == [("initial", world.base, "the model this centre started with"),
                      ("promote", world.candidate, why), ("rollback", world.base, "坐席反映新版本误判")]
