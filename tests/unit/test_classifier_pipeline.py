"""Smoke tests of the declared pipeline through the real CLI functions.

A tiny model is trained (through ``classifier train``) on a small slice of the
real data into a temporary model root, then used through the public API and
the ``classify`` command. Checks the registry (versions, CURRENT, promote,
hot reload), the no-model error and bad input.
"""
from __future__ import annotations

import argparse
import io
import json
import shutil
import threading
from pathlib import Path

import pytest

import classifiers
from classifiers import api, cli, registry
from classifiers.labels import ATTRIBUTION, CAUSES, LABELS
from classifiers.training.dataset import DEFAULT_DATA_DIR

PER_LABEL = 16


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="test")
    sub = p.add_subparsers(dest="command", required=True)
    cli.register(sub)
    return p


def run_cli(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    return int(args.func(args) or 0)


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory) -> Path:
    """First PER_LABEL items of every real data file (plus a malformed line)."""
    d = tmp_path_factory.mktemp("tiny-data")
    files = sorted(DEFAULT_DATA_DIR.glob("*.jsonl"))
    assert files, "no real data under classifiers/data/items"
    for f in files:
        lines = [ln for ln in f.read_text(encoding="utf-8").splitlines() if ln.strip()][:PER_LABEL]
        (d / f.name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    with (d / "extra.jsonl").open("w", encoding="utf-8") as fh:
        fh.write("this is not json\n")
        fh.write(json.dumps({"text": "随便", "cause": "no.such.code"}, ensure_ascii=False) + "\n")
        fh.write(json.dumps({"text": "我的手机13812345678打不通", "cause": "company.network"}, ensure_ascii=False) + "\n")
    return d


@pytest.fixture(scope="module")
def tiny_root(tmp_path_factory, tiny_data):
    """Model root holding one promoted tiny model, trained through the CLI."""
    root = tmp_path_factory.mktemp("models")
    mp = pytest.MonkeyPatch()
    mp.setattr(registry, "_configuration", registry.StoreConfiguration(root))
    api._reset_for_tests()
    assert run_cli(["classifier", "train", "--data", str(tiny_data), "--promote"]) == 0
    yield root
    mp.undo()
    api._reset_for_tests()


@pytest.fixture()
def use_root(tiny_root, monkeypatch):
    monkeypatch.setattr(registry, "_configuration", registry.StoreConfiguration(tiny_root))
    api._reset_for_tests()
    yield tiny_root
    api._reset_for_tests()


def test_train_writes_versioned_artefacts(use_root):
    current = (use_root / "CURRENT").read_text(encoding="utf-8").strip()
    vdir = use_root / current
    assert (vdir / "model" / "spacy").is_dir()
    assert (vdir / "model" / "lr.pkl").is_file()
    cfg = json.loads((vdir / "config.json").read_text(encoding="utf-8"))
    metrics = json.loads((vdir / "metrics.json").read_text(encoding="utf-8"))
    assert len(cfg["data_hash"]) == 64 and current.endswith(cfg["data_hash"][:8])
    assert cfg["created_at"]
    assert cfg["data_stats"]["bad_json"] == 1 and cfg["data_stats"]["unknown_label"] == 1
    assert 0.5 <= metrics["thresholds"]["staff_threshold"] <= 1.01
    assert "coverage" in metrics["test"] and "false_blame_rate" in metrics["dev"]
    assert (use_root / ".gitignore").read_text() == "*\n"
    assert not list(use_root.glob(".staging-*"))


def test_training_data_is_redacted(use_root):
    from classifiers.training.dataset import load_dataset

    current = (use_root / "CURRENT").read_text(encoding="utf-8").strip()
    cfg = json.loads((use_root / current / "config.json").read_text(encoding="utf-8"))
    ds = load_dataset(cfg["data_dir"], strict_splits=False)
    texts = [it.text for it in ds.items]
    assert "我的手机[手机号]打不通" in texts
    assert not any("13812345678" in t for t in texts)


def test_training_prints_epochs(tiny_data, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(registry, "_configuration", registry.StoreConfiguration(tmp_path))
    assert run_cli(["classifier", "train", "--data", str(tiny_data)]) == 0
    err = capsys.readouterr().err
    assert "spacy epoch  1/" in err
    assert "staff threshold" in err
    assert not (tmp_path / "CURRENT").exists()  # trained, not promoted


def test_classify_with_tiny_model(use_root):
    r = classifiers.classify("客服态度很差")
    assert isinstance(r, classifiers.CauseResult)
    assert r.cause in CAUSES
    assert r.attribution == ATTRIBUTION[r.cause]
    assert 0.0 <= r.confidence <= 1.0
    assert r.model_version == (use_root / "CURRENT").read_text().strip()
    many = classifiers.classify_many(["套餐太贵", "", None, "按错了"])
    assert len(many) == 4 and all(x.cause in CAUSES for x in many)


@pytest.mark.parametrize(
    "bad",
    [None, "", "   ", "😀😀😀", "bad service, very bad", "12345", "<br/><p></p>", "&nbsp;", 42, b"\xff\xfe"],
)
def test_bad_input_is_defined(use_root, bad):
    r = classifiers.classify(bad)
    assert (r.cause, r.attribution, r.confidence, r.needs_confirmation, r.evidence) == ("none", "none", 0.0, True, "")


def test_long_and_html_input(use_root):
    r = classifiers.classify("客服态度很差" * 2000)  # 12,000 characters
    assert r.cause in CAUSES
    r2 = classifiers.classify("<div><b>客服</b>态度很差&amp;不耐烦</div>")
    assert r2.cause in CAUSES and "<" not in r2.evidence


def test_cli_evaluate_list_promote(use_root, capsys):
    current = (use_root / "CURRENT").read_text().strip()
    assert run_cli(["classifier", "evaluate", "--split", "dev", "--json"]) == 0
    out = capsys.readouterr().out
    m = json.loads(out)
    assert {"binary_macro_f1", "cause_macro_f1", "false_blame_rate", "coverage"} <= set(m)
    assert run_cli(["classifier", "list"]) == 0
    out = capsys.readouterr().out
    assert f"* {current}" in out
    assert run_cli(["classifier", "promote", "20000101T000000Z-00000000"]) == 2
    assert run_cli(["classifier", "promote", current]) == 0


def test_ensure_does_not_retrain(use_root, capsys):
    before = sorted(p.name for p in use_root.iterdir())
    assert run_cli(["classifier", "ensure"]) == 0
    assert capsys.readouterr().out.strip() == (use_root / "CURRENT").read_text().strip()
    assert sorted(p.name for p in use_root.iterdir()) == before


def test_classify_command_streams_in_order(use_root, monkeypatch, capsys):
    lines = [
        json.dumps({"id": 1, "text": "客服一直打断我"}, ensure_ascii=False),
        "{not json",
        json.dumps({"id": "b", "text": "套餐太贵"}, ensure_ascii=False),
        json.dumps({"id": 3}),
        json.dumps([1, 2]),
        json.dumps({"id": 4, "text": 5}),
        "",
        json.dumps({"id": 5, "text": None}),
        json.dumps({"id": 6, "text": "按错了"}, ensure_ascii=False),
    ]
    monkeypatch.setattr("sys.stdin", io.StringIO("\n".join(lines) + "\n"))
    assert run_cli(["classify"]) == 0
    out = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [o.get("id") for o in out] == [1, None, "b", 3, None, 4, 5, 6]
    assert [("error" in o) for o in out] == [False, True, False, True, True, True, False, False]
    ok = out[0]
    assert set(ok) == {"id", "cause", "attribution", "confidence", "needs_confirmation", "evidence",
                       "model_version"}
    assert out[6]["cause"] == "none" and out[6]["needs_confirmation"] is True


def test_classify_command_ensure_ascii_false(use_root, monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps({"id": 1, "text": "客服态度差"}) + "\n"))
    run_cli(["classify"])
    assert "\\u" not in capsys.readouterr().out


def test_hot_reload_and_threads(use_root, monkeypatch):
    monkeypatch.setattr(api, "RELOAD_CHECK_SECONDS", 0.0)
    v1 = (use_root / "CURRENT").read_text().strip()
    assert classifiers.classify("不满意").model_version == v1
    v2 = "20991231T235959Z-abcdef12"
    shutil.copytree(use_root / v1, use_root / v2)
    errors: list[BaseException] = []

    def worker():
        try:
            for _ in range(20):
                r = classifiers.classify_many(["客服态度很差", "信号不好"])
                assert r[0].model_version in (v1, v2)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    assert run_cli(["classifier", "promote", v2]) == 0
    for t in threads:
        t.join()
    assert not errors
    assert classifiers.classify("不满意").model_version == v2
    assert classifiers.current_model_version() == v2


def test_reload_waits_for_check_interval(use_root, monkeypatch):
    monkeypatch.setattr(api, "RELOAD_CHECK_SECONDS", 3600.0)
    v = classifiers.classify("不满意").model_version
    (use_root / "CURRENT").write_text("20000101T000000Z-ffffffff\n")  # not checked again within the interval
    try:
        assert classifiers.classify("不满意").model_version == v
    finally:
        (use_root / "CURRENT").write_text(v + "\n")


def test_no_promoted_model_names_the_command(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(registry, "_configuration", registry.StoreConfiguration(tmp_path / "empty"))
    api._reset_for_tests()
    with pytest.raises(classifiers.ModelNotAvailableError, match="classifier ensure"):
        classifiers.classify("客服态度很差")
    monkeypatch.setattr("sys.stdin", io.StringIO('{"id": 1, "text": "x"}\n'))
    assert run_cli(["classify"]) == 2
    assert "classifier ensure" in capsys.readouterr().err
    assert run_cli(["classifier", "list"]) == 0
    api._reset_for_tests()


def test_constants():
    assert len(CAUSES) == 11 and len(set(CAUSES)) == 11
    assert LABELS[-1] == "unclear" and "unclear" not in CAUSES
    assert {c for c in CAUSES if ATTRIBUTION[c] == "staff"} == {"staff.attitude", "staff.competence", "staff.resolution"}
    assert ATTRIBUTION["none"] == "none"
    assert all(ATTRIBUTION[c] == "non_staff" for c in CAUSES if c.split(".")[0] in ("company", "survey", "customer"))


def test_bot_cli_registers_commands():
    """The real feedbackbot parser exposes our sub-commands (skipped if other features are missing)."""
    try:
        from bot.cli.main import build_parser

        parser = build_parser()
    except ImportError as exc:  # another feature's module not there yet
        pytest.skip(f"bot.cli.main not importable: {exc}")
    args = parser.parse_args(["classifier", "list"])
    assert callable(args.func)
    args = parser.parse_args(["classify"])
    assert callable(args.func)


def test_lr_fitted_in_a_second_process_is_the_in_process_lr(tiny_data):
    """Training fits the LR beside spaCy in a spawned process; it must be the very model an in-process fit gives."""
    import numpy as np

    from classifiers.config import DEFAULT_CONFIG
    from classifiers.training import fit as fitting
    from classifiers.training.dataset import load_dataset

    ds = load_dataset(tiny_data, strict_splits=False)
    texts, labels = [it.text for it in ds.items], [it.label for it in ds.items]
    weights = [1.0 + (i % 3) for i in range(len(texts))]
    background = fitting._lr_in_background(texts, labels, DEFAULT_CONFIG, weights)
    assert background is not None, "this machine has two cores: the LR should be fitted in a second process"
    pool, future = background
    try:
        vec_bg, lr_bg, _ = future.result(timeout=300)
    finally:
        pool.shutdown()
    vec, lr = fitting._train_lr(texts, labels, DEFAULT_CONFIG, weights)
    assert vec_bg.vocabulary_ == vec.vocabulary_
    assert list(lr_bg.classes_) == list(lr.classes_)
    np.testing.assert_array_equal(lr_bg.coef_, lr.coef_)
    np.testing.assert_array_equal(lr_bg.intercept_, lr.intercept_)


def test_the_lr_process_ends_when_the_training_that_started_it_is_killed(tmp_path):
    """A training killed mid-way (a job worker stopped) leaves no idle LR process behind."""
    import os
    import signal
    import subprocess
    import sys
    import time

    script = tmp_path / "trainer.py"
    script.write_text(
        "import time\n"
        "from classifiers.config import DEFAULT_CONFIG\n"
        "from classifiers.training import fit\n"
        "if __name__ == '__main__':\n"
        "    texts = ['套餐太贵了', '资费太高', '月租贵', '态度很差', '一直打断我', '挂我电话']\n"
        "    labels = ['company.product'] * 3 + ['staff.attitude'] * 3\n"
        "    pool, future = fit._lr_in_background(texts, labels, DEFAULT_CONFIG, None)\n"
        "    future.result(timeout=120)\n"
        "    print(list(pool._processes)[0], flush=True)\n"
        "    time.sleep(600)\n", encoding="utf-8")
    proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": os.getcwd()})
    try:
        child = int(proc.stdout.readline())
        os.kill(child, 0)  # alive while the trainer is
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                os.kill(child, 0)
            except ProcessLookupError:
                return
            time.sleep(0.2)
        pytest.fail(f"LR process {child} still alive 15 s after its trainer was killed")
    finally:
        proc.kill()
