"""Loading, de-duplication and the fixed split (expected values written by hand)."""
from __future__ import annotations

import json
from collections import defaultdict

import pytest

from classifiers.labels import LABELS
from classifiers.text import prepare_text
from classifiers.training.dataset import SPLITS, dedup_key, load_dataset, split_of


def _write(path, rows):
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")


def test_prepare_text_normalises_then_redacts():
    assert prepare_text("態度很差，電話１３８１２３４５６７８") == "态度很差,电话[手机号]"


def test_dedup_key_ignores_punctuation_case_emoji_and_script():
    assert dedup_key(prepare_text("態度很差！！😡")) == dedup_key(prepare_text("态度很差"))
    assert dedup_key(prepare_text("APP 闪退")) == dedup_key(prepare_text("app闪退。"))
    assert dedup_key(prepare_text("态度很差")) != dedup_key(prepare_text("态度不差"))


def test_split_is_a_pure_function_of_the_key():
    keys = [f"样本{i}" for i in range(2000)]
    first = [split_of(k) for k in keys]
    assert first == [split_of(k) for k in keys]
    share = {s: first.count(s) / len(keys) for s in SPLITS}
    assert 0.65 < share["train"] < 0.75 and 0.11 < share["dev"] < 0.19 and 0.11 < share["test"] < 0.19


def test_load_dedups_drops_conflicts_and_bad_lines(tmp_path):
    _write(
        tmp_path / "a.jsonl",
        [
            {"text": "信号太差", "cause": "company.network", "industry": "telecom"},
            {"text": "信號太差！", "cause": "company.network", "industry": "telecom"},  # duplicate after normalising
            {"text": "挺好", "cause": "none"},
            {"text": "挺好", "cause": "unclear"},  # conflicting label: both dropped
            {"text": "", "cause": "none"},
            {"text": "x", "cause": "not.a.code"},
        ],
    )
    (tmp_path / "b.jsonl").write_text('{"text": "broken\n\n', encoding="utf-8")
    ds = load_dataset(tmp_path, strict_splits=False)
    assert [it.text for it in ds.items] == ["信号太差"]
    assert ds.stats["duplicates_dropped"] == 1
    assert ds.stats["conflicting_keys"] == 1
    assert ds.stats["empty_text"] == 1 and ds.stats["unknown_label"] == 1 and ds.stats["bad_json"] == 1
    with pytest.raises(ValueError, match="missing from splits"):
        load_dataset(tmp_path, strict_splits=True)


def test_split_does_not_move_when_data_is_added(tmp_path):
    rows = [{"text": f"第{i}次打不通电话", "cause": "company.system"} for i in range(50)]
    _write(tmp_path / "a.jsonl", rows)
    before = {it.text: it.split for it in load_dataset(tmp_path, strict_splits=False).items}
    _write(tmp_path / "b.jsonl", [{"text": f"第{i}次信号不好", "cause": "company.network"} for i in range(50)])
    after = {it.text: it.split for it in load_dataset(tmp_path, strict_splits=False).items}
    assert all(after[t] == s for t, s in before.items())


def test_real_data_every_label_in_every_split_and_no_leak():
    ds = load_dataset()  # strict: raises if a label is missing from a split
    counts = ds.counts()
    assert set(counts) == set(LABELS)
    assert all(counts[lab][s] > 0 for lab in LABELS for s in SPLITS)
    seen = defaultdict(set)
    for it in ds.items:
        seen[dedup_key(it.text)].add(it.split)
    assert all(len(s) == 1 for s in seen.values())
    assert len(ds.data_hash) == 64
