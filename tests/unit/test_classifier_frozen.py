"""Frozen, hash-pinned evaluation sets."""
from __future__ import annotations

import json

import pytest

from classifiers.training.frozen import FrozenSetError, load_frozen_sets, pin_file, read_manifest


def test_committed_sets_match_their_pins():
    sets = {fs.name: fs for fs in load_frozen_sets()}
    assert sorted(sets) == ["independent_eval", "independent_eval_2", "test_split_v1"]
    # line counts of the files (wc -l) when they were pinned
    assert len(sets["test_split_v1"].rows) == 1104
    assert len(sets["independent_eval"].rows) == 480
    assert len(sets["independent_eval_2"].rows) == 600


def test_a_changed_file_is_refused(tmp_path):
    data = tmp_path / "set.jsonl"
    data.write_text(json.dumps({"text": "网一直断", "cause": "company.network"}, ensure_ascii=False) + "\n", encoding="utf-8")
    manifest = tmp_path / "manifest.json"
    pin_file("mine", data, "test set", manifest)
    assert [fs.rows for fs in load_frozen_sets(manifest=manifest)] == [(("网一直断", "company.network"),)]
    with data.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps({"text": "态度差", "cause": "staff.attitude"}, ensure_ascii=False) + "\n")
    with pytest.raises(FrozenSetError, match="changed"):
        load_frozen_sets(manifest=manifest)
    with pytest.raises(FrozenSetError, match="pinned"):
        pin_file("mine", data, "re-pin", manifest)  # a pin is never moved
    assert read_manifest(manifest)["sets"]["mine"]["n"] == 1


def test_unknown_or_missing_set_is_refused(tmp_path):
    manifest = tmp_path / "manifest.json"
    with pytest.raises(FrozenSetError, match="no frozen set"):
        load_frozen_sets(["nope"], manifest=manifest)
    data = tmp_path / "gone.jsonl"
    data.write_text("{}\n", encoding="utf-8")
    pin_file("gone", data, "x", manifest)
    data.unlink()
    with pytest.raises(FrozenSetError, match="missing"):
        load_frozen_sets(manifest=manifest)
