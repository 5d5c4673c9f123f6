"""Gated promotion, override, rollback and history, with real (tiny) training runs.

A tiny corpus (the first lines of every real data file) trains version A; B is
trained on the same corpus plus person labels that call non-staff texts
``staff.attitude`` (deliberately flipped). The gate must refuse B on the
frozen sets, an override needs a written reason and is recorded, and rollback
goes back one step.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from classifiers import cli, registry
from classifiers.text import prepare_text
from classifiers.training.dataset import DEFAULT_DATA_DIR, dedup_key
from classifiers.training.frozen import evaluate_frozen, load_frozen_sets
from classifiers.training.pipeline import train
from classifiers.training.promotion import PromotionError, promote_with_gate, rollback

PER_FILE = 16
NON_STAFF_FILES = ("company_network", "company_policy", "company_product", "company_system", "none")


def run_cli(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="test")
    cli.register(p.add_subparsers(dest="command", required=True))
    args = p.parse_args(argv)
    return int(args.func(args) or 0)


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("tiny-data")
    for f in sorted(DEFAULT_DATA_DIR.glob("*.jsonl")):
        lines = [ln for ln in f.read_text(encoding="utf-8").splitlines() if ln.strip()][:PER_FILE]
        (d / f.name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return d


@pytest.fixture(scope="module")
def flipped_labels(tmp_path_factory) -> Path:
    """Non-staff texts of the corpus (not in the tiny slice) labelled as the agent's attitude."""
    out = tmp_path_factory.mktemp("labels") / "flipped.jsonl"
    rows = []
    for name in NON_STAFF_FILES:
        lines = (DEFAULT_DATA_DIR / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()[PER_FILE:PER_FILE + 40]
        for ln in lines:
            text = json.loads(ln)["text"]
            rows.append({"text": text, "cause": "staff.attitude", "source": "reviewer", "who": "mallory",
                         "at": "2026-12-01T09:00:00Z"})
    out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return out


def test_flipped_candidate_is_refused_override_is_audited_and_rollback_restores(tiny_data, flipped_labels, tmp_path,
                                                                                  monkeypatch, capsys):
    root = tmp_path / "models"
    monkeypatch.setattr(registry, "_configuration", registry.configuration())  # put back after the test
    registry.configure(root)  # this test's own model store, as an entry point configures one

    # A: corpus only, with a progress callback, promoted through the gate (nothing to compare with).
    marks: list[tuple[float, str]] = []
    a = train(tiny_data, root=root, progress=lambda m: None, on_progress=lambda f, m: marks.append((f, m)))
    fractions = [f for f, _ in marks]
    assert fractions[0] == 0.0 and fractions[-1] == 1.0 and fractions == sorted(fractions)
    assert any("epoch" in m for _, m in marks)
    res_a = promote_with_gate(a, who="alice", root=root)
    assert res_a.promoted and res_a.decision.reasons == ["no promoted version to compare with"]
    assert registry.current_version(root) == a

    # B: flipped person labels; --promote is refused (exit 3) and CURRENT stays A.
    assert run_cli(["classifier", "train", "--data", str(tiny_data), "--labels", str(flipped_labels),
                    "--promote", "--who", "mallory"]) == 3
    err = capsys.readouterr().err
    assert "REFUSED" in err
    versions = registry.list_versions(root)
    b = next(v for v in versions if v != a)
    assert registry.current_version(root) == a
    card = json.loads((root / b / "datacard.json").read_text(encoding="utf-8"))
    assert card["labels"]["trained"] == 5 * 40 and card["labels"]["by_source"] == {"reviewer": 200}
    assert (root / b / "DATACARD.md").read_text(encoding="utf-8").startswith(f"# Data card of version `{b}`")

    # The frozen sets leave B's labels out: every labelled text found in test_split_v1 is excluded.
    test_keys = {dedup_key(prepare_text(t)) for t, _ in load_frozen_sets(["test_split_v1"])[0].rows}
    label_keys = {dedup_key(prepare_text(json.loads(ln)["text"]))
                  for ln in flipped_labels.read_text(encoding="utf-8").splitlines()}
    rep_b = evaluate_frozen(b, root=root)
    assert rep_b["sets"]["test_split_v1"]["n_excluded"] == len(test_keys & label_keys) > 0

    # compare says the same as the gate.
    assert run_cli(["classifier", "compare", a, b]) == 3
    out = capsys.readouterr().out
    assert "REFUSED" in out and ("false blame rises" in out or "binary F1 drops" in out)

    # An override needs a written reason; with one it is recorded in the version and the log.
    with pytest.raises(PromotionError, match="written reason"):
        promote_with_gate(b, who="bob", force=True, root=root)
    calls = []
    res = promote_with_gate(b, who="bob", why="centre asked for it", force=True, root=root,
                            on_promoted=lambda *args: calls.append(args))
    assert res.promoted and res.forced and not res.decision.allowed
    assert registry.current_version(root) == b
    meta = json.loads((root / b / "promotion.json").read_text(encoding="utf-8"))
    assert (meta["forced"], meta["why"], meta["who"], meta["from"]) == (True, "centre asked for it", "bob", a)
    assert meta["gate"]["allowed"] is False and meta["gate"]["reasons"]
    (frm, to, who, why, report), = calls
    assert (frm, to, who, why, report["action"], report["forced"]) == (a, b, "bob", "centre asked for it", "promote", True)

    # Rollback: one step back to A, recorded; no step before A.
    assert run_cli(["classifier", "rollback", "--who", "carol", "--why", "blames agents"]) == 0
    assert registry.current_version(root) == a
    log = registry.read_promotion_log(root)
    assert [(e["action"], e["from"], e["to"], e["who"], e["forced"]) for e in log] == [
        ("promote", None, a, "alice", False),
        ("promote", a, b, "bob", True),
        ("rollback", b, a, "carol", False),
    ]
    with pytest.raises(PromotionError, match="no earlier"):
        rollback(who="carol", root=root)
    # Back to any earlier *promoted* version: B was promoted (forced), so it may be restored.
    assert rollback(who="carol", to=b, root=root) == (a, b)
    registry.promote(a, root)
    with pytest.raises(PromotionError, match="never promoted"):
        rollback(who="carol", to="20000101T000000Z-00000000", root=root)
    assert run_cli(["classifier", "rollback"]) == 2


def test_force_without_why_is_refused_on_the_command_line(capsys):
    assert run_cli(["classifier", "train", "--promote", "--force"]) == 2
    assert "--why" in capsys.readouterr().err
