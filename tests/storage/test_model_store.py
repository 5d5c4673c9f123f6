"""The model store: promotions and rollbacks recorded in ``model_promotions`` (+ audit), followed by every process.

Versions are directories in a temporary store; the history lives in a fresh
database of each backend. The last test runs a second process that classifies
in a loop with the real promoted model and watches it follow a promotion made
here, without a restart.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.db.models import AuditLog
from bot.db.session import open_session
from bot.model_store import RollbackError, configure_classifier, current_version, do_promote, do_rollback, history
from bot.settings import ROOT, Settings
from classifiers import ModelNotAvailableError, api, registry

A, B, C = "20261201T000000Z-aaaaaaaa", "20261202T000000Z-bbbbbbbb", "20261203T000000Z-cccccccc"


@pytest.fixture()
def store(tmp_path: Path) -> Path:
    """A model directory holding versions A, B and C (empty models: only their presence is checked here)."""
    root = tmp_path / "models"
    for v in (A, B, C):
        (root / v / "model").mkdir(parents=True)
    return root


@pytest.fixture()
def configured():
    """Restore this process's classifier store after a test configures it."""
    previous = registry.configuration()
    yield
    registry.restore(previous)
    api._reset_for_tests()


def promote(url: str, version: str, root: Path, *, actor: str = "admin:wang", why: str | None = "better on appeals"):
    with open_session(url) as s, s.begin():
        return do_promote(s, version, actor=actor, why=why, report={"binary_f1": 0.97}, root=root).id


def rollback(url: str, root: Path, to_version: str | None = None, *, why: str = "agents complained"):
    with open_session(url) as s, s.begin():
        return do_rollback(s, actor="admin:li", why=why, to_version=to_version, root=root).id


def rows(url: str) -> list[tuple]:
    with open_session(url) as s:
        return [(r.action, r.actor, r.from_version, r.to_version, r.why) for r in reversed(history(s))]


def file_current(root: Path) -> str | None:
    return registry.read_current_file(root)


def test_promotions_are_recorded_with_who_when_from_to_why_and_audited(db_url, store):
    assert rows(db_url) == []
    promote(db_url, A, store)
    promote(db_url, B, store, actor="cli:ops", why=None)
    assert rows(db_url) == [
        ("initial", "admin:wang", None, A, "better on appeals"),
        ("promote", "cli:ops", A, B, None),
    ]
    with open_session(db_url) as s:
        assert current_version(s) == B
        latest = history(s, limit=1)[0]
        assert latest.report == {"binary_f1": 0.97}
        assert latest.at.tzinfo is not None or db_url.startswith("sqlite")
        audits = s.scalars(select(AuditLog).where(AuditLog.entity == "classifier_model").order_by(AuditLog.id)).all()
        assert [(a.actor, a.entity_id, a.action, a.data["from_version"], a.data["why"]) for a in audits] == [
            ("admin:wang", A, "initial", None, "better on appeals"),
            ("cli:ops", B, "promote", A, None),
        ]
        assert audits[1].data["promotion_id"] == latest.id
    assert file_current(store) == B  # written after the commit for tools that read the directory


def test_a_store_promoted_before_the_history_is_recorded_as_initial_first(db_url, store):
    registry.write_current(A, store)
    promote(db_url, B, store)
    recorded = rows(db_url)
    assert [r[:4] for r in recorded] == [("initial", "system", None, A), ("promote", "admin:wang", A, B)]
    assert "CURRENT" in recorded[0][4]


def test_rollback_one_step_at_a_time_and_to_a_named_version(db_url, store):
    for v in (A, B, C):
        promote(db_url, v, store)
    rollback(db_url, store)
    assert rows(db_url)[-1] == ("rollback", "admin:li", C, B, "agents complained")
    assert file_current(store) == B
    rollback(db_url, store)  # one more step back: A, not C again
    assert rows(db_url)[-1][2:4] == (B, A)
    with pytest.raises(RollbackError, match="no earlier"):
        rollback(db_url, store)
    promote(db_url, C, store)
    rollback(db_url, store, to_version=A)  # by name, from C
    assert rows(db_url)[-1][:4] == ("rollback", "admin:li", C, A)
    with open_session(db_url) as s:
        assert current_version(s) == A
    assert file_current(store) == A
    assert len(rows(db_url)) == 7


def test_rollback_refuses_what_cannot_be_rolled_back_to(db_url, store):
    with pytest.raises(RollbackError):
        rollback(db_url, store)  # nothing promoted
    promote(db_url, A, store)
    promote(db_url, B, store)
    with pytest.raises(RollbackError, match="never promoted"):
        rollback(db_url, store, to_version=C)
    with pytest.raises(RollbackError, match="already the current"):
        rollback(db_url, store, to_version=B)
    shutil.rmtree(store / A)
    with pytest.raises(ModelNotAvailableError):
        rollback(db_url, store)  # its directory is gone from the store
    assert [r[0] for r in rows(db_url)] == ["initial", "promote"]


def test_unknown_version_and_bad_actor_are_refused_and_nothing_is_written(db_url, store):
    with pytest.raises(ModelNotAvailableError):
        promote(db_url, "20261209T000000Z-dddddddd", store)
    with pytest.raises(ValueError, match="actor"):
        promote(db_url, A, store, actor=" ")
    assert rows(db_url) == [] and file_current(store) is None


def test_a_rolled_back_transaction_records_nothing_and_leaves_current_alone(db_url, store):
    promote(db_url, A, store)
    with pytest.raises(RuntimeError), open_session(db_url) as s, s.begin():
        do_promote(s, B, actor="admin:wang", why="x", root=store)
        raise RuntimeError("the caller's transaction fails after the promotion")
    assert [r[3] for r in rows(db_url)] == [A]
    assert file_current(store) == A


def test_concurrent_promotions_chain_from_to_without_gaps(db_url, store):
    promote(db_url, A, store)
    errors: list[BaseException] = []

    def promoter(versions: list[str]) -> None:
        try:
            for v in versions:
                promote(db_url, v, store)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=promoter, args=([B, C] * 4,)), threading.Thread(target=promoter, args=([C, A] * 4,))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    history_rows = rows(db_url)
    assert len(history_rows) == 17
    for before, after in zip(history_rows, history_rows[1:]):
        assert after[2] == before[3], "a promotion's from_version is the version current when it was written"


def test_configured_process_follows_the_database_and_records_promotions_through_the_hook(db_url, store, configured):
    settings = Settings.from_env({"DATABASE_URL": db_url, "FEEDBACKBOT_MODEL_DIR": str(store)})
    configure_classifier(settings, actor="cli:tester")
    assert registry.model_root() == store
    registry.write_current(A, store)
    assert registry.current_version() == A  # no history yet: the file
    registry.promote(B, why="from train --promote")  # what `classifier promote` and `train --promote` call
    assert [r[:4] for r in rows(db_url)] == [("initial", "system", None, A), ("promote", "cli:tester", A, B)]
    assert rows(db_url)[1][4] == "from train --promote"
    registry.promote(A, action="rollback", actor="admin:li", why="back")
    assert rows(db_url)[-1] == ("rollback", "admin:li", B, A, "back")
    registry.write_current(C, store)  # a stale or hand-edited file does not decide
    assert registry.current_version() == A
    other = store.parent / "elsewhere"
    (other / B / "model").mkdir(parents=True)
    registry.promote(B, other)  # another directory is not the configured store: file only
    assert file_current(other) == B and len(rows(db_url)) == 3


def test_feedbackbot_classifier_promote_goes_through_the_history(db_url, store, configured, monkeypatch, capsys):
    from bot.cli.main import main

    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("FEEDBACKBOT_MODEL_DIR", str(store))
    assert main(["classifier", "promote", A]) == 0
    assert main(["classifier", "promote", C]) == 0
    recorded = rows(db_url)
    assert [(r[0], r[2], r[3]) for r in recorded] == [("initial", None, A), ("promote", A, C)]
    assert all(r[1].startswith("cli") for r in recorded)
    assert main(["classifier", "list"]) == 0
    listed = {line[2:].split()[0]: line.startswith("*") for line in capsys.readouterr().out.splitlines()
              if line[2:3] == "2"}
    assert listed == {A: False, B: False, C: True}


def test_an_unmigrated_database_falls_back_to_the_file(tmp_path, store, configured):
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    configure_classifier(Settings.from_env({"DATABASE_URL": url, "FEEDBACKBOT_MODEL_DIR": str(store)}))
    registry.promote(B)
    assert registry.current_version() == B == file_current(store)


# --- two processes --------------------------------------------------------------

FOLLOWER = """
import sys, time
from bot.model_store import configure_classifier
from bot.settings import Settings
from classifiers import classify

configure_classifier(Settings.from_env())
deadline = time.monotonic() + 60
while time.monotonic() < deadline:
    print(classify("客服一直打断我说话，态度太差了").model_version, flush=True)
    time.sleep(0.1)
"""


def promoted_model() -> Path:
    """The real promoted model of this checkout (``make test`` trains it first)."""
    root = Settings.from_env({}).model_dir
    version = registry.read_current_file(root)
    if not version:
        pytest.fail(f"no promoted model under {root}: run `feedbackbot classifier ensure` first", pytrace=False)
    return root / version


def test_another_process_follows_a_promotion_without_restart(db_url, tmp_path):
    root = tmp_path / "shared-models"
    source = promoted_model()
    for v in (A, B):
        shutil.copytree(source, root / v)
    promote(db_url, A, root)
    env = {**os.environ, "DATABASE_URL": db_url, "FEEDBACKBOT_MODEL_DIR": str(root), "PYTHONPATH": str(ROOT)}
    env.pop("FEEDBACKBOT_VAR_DIR", None)
    child = subprocess.Popen([sys.executable, "-c", FOLLOWER], env=env, cwd=ROOT, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        first = child.stdout.readline().strip()
        assert first == A, first or child.stderr.read()
        promote(db_url, B, root, why="a better model")
        promoted_at = time.monotonic()
        seen = first
        while seen == A and time.monotonic() - promoted_at < 20:
            seen = child.stdout.readline().strip()
        followed_after = time.monotonic() - promoted_at
        assert seen == B, seen
        print(f"followed the promotion after {followed_after:.2f} s")
        assert followed_after < 8.0  # checked at most every 2 s, plus loading the new version (seconds on a busy machine)
        assert child.poll() is None  # the same process, never restarted
    finally:
        child.kill()
        child.wait()


def test_the_classifier_package_reads_no_environment_variable_for_its_store(tmp_path):
    env = {**os.environ, "FEEDBACKBOT_MODEL_DIR": str(tmp_path / "ignored"), "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", "from classifiers import registry; print(registry.model_root())"],
                         env=env, cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
    assert out == str(ROOT / "var" / "models" / "classifier")
    settings = Settings.from_env({"FEEDBACKBOT_VAR_DIR": str(tmp_path / "var")})
    assert settings.model_dir == tmp_path / "var" / "models" / "classifier"
