"""Each model version segments with its own jieba user dictionary (expected values written by hand).

Two small synthetic dictionaries make the same text segment in two different
ways; models trained with each, loaded side by side in one process, must keep
segmenting their own way, and jieba's module-level tokenizer is never touched.
"""
from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import pytest

from classifiers import registry
from classifiers.model import CauseModel
from classifiers.tokenize import MODEL_USERDICT, USERDICT, file_sha256, segmenter
from classifiers.training.dataset import DEFAULT_DATA_DIR
from classifiers.training.pipeline import train

TEXT = "甲乙丙"


@pytest.fixture(scope="module")
def dicts(tmp_path_factory) -> tuple[Path, Path]:
    d = tmp_path_factory.mktemp("dicts")
    a, b = d / "a.txt", d / "b.txt"
    a.write_text("甲乙 1000000\n", encoding="utf-8")
    b.write_text("乙丙 1000000\n", encoding="utf-8")
    return a, b


def test_segmenters_are_independent(dicts):
    import jieba

    a, b = dicts
    seg_a = segmenter(a)
    assert seg_a.lcut(TEXT, HMM=False) == ["甲乙", "丙"]
    seg_b = segmenter(b)
    assert seg_b.lcut(TEXT, HMM=False) == ["甲", "乙丙"]
    # Loading b changed nothing for a, and nothing in jieba's global tokenizer.
    assert seg_a.lcut(TEXT, HMM=False) == ["甲乙", "丙"]
    assert jieba.dt.FREQ.get("甲乙", 0) != 1000000 and jieba.dt.FREQ.get("乙丙", 0) != 1000000
    # Same dictionary content → the same (shared) instance.
    assert segmenter(a) is seg_a


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("tiny-data")
    for f in sorted(DEFAULT_DATA_DIR.glob("*.jsonl")):
        lines = [ln for ln in f.read_text(encoding="utf-8").splitlines() if ln.strip()][:8]
        (d / f.name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return d


@pytest.fixture(scope="module")
def two_versions(tmp_path_factory, tiny_data, dicts):
    root = tmp_path_factory.mktemp("models")
    mp = pytest.MonkeyPatch()
    mp.setattr(registry, "_configuration", registry.StoreConfiguration(root))
    quick = {"spacy": {"epochs": 1}}
    va = train(tiny_data, root=root, config=quick, userdict=dicts[0], progress=lambda m: None)
    vb = train(tiny_data, root=root, config=quick, userdict=dicts[1], progress=lambda m: None)
    mp.undo()
    return root, va, vb


def test_versions_carry_their_dictionary_and_library_versions(two_versions, dicts):
    root, va, vb = two_versions
    for version, d in zip((va, vb), dicts):
        vdir = root / version
        assert (vdir / "model" / MODEL_USERDICT).read_bytes() == d.read_bytes()
        cfg = json.loads((vdir / "config.json").read_text(encoding="utf-8"))
        assert cfg["jieba_userdict_sha256"] == file_sha256(d)
        assert set(cfg["libraries"]) >= {"jieba", "spacy", "scikit-learn", "numpy", "opencc"}
        assert all(cfg["libraries"].values())


def test_loaded_versions_segment_independently(two_versions):
    root, va, vb = two_versions
    ma = CauseModel.load(root / va / "model")
    mb = CauseModel.load(root / vb / "model")
    assert [t.text for t in ma.nlp.make_doc(TEXT)] == ["甲乙", "丙"]
    assert [t.text for t in mb.nlp.make_doc(TEXT)] == ["甲", "乙丙"]
    # Loading b again (a reload) leaves a as it was.
    CauseModel.load(root / vb / "model")
    assert [t.text for t in ma.nlp.make_doc(TEXT)] == ["甲乙", "丙"]
    assert ma.seg.FREQ["甲乙"] == 1000000 and ma.seg.FREQ.get("乙丙", 0) != 1000000
    assert mb.seg.FREQ["乙丙"] == 1000000 and mb.seg.FREQ.get("甲乙", 0) != 1000000
    # Both still predict.
    assert len(ma.predict(["客服态度很差"])) == len(mb.predict(["客服态度很差"])) == 1


def test_model_without_own_dictionary_falls_back_to_the_project_one(two_versions, tmp_path, caplog):
    root, va, _ = two_versions
    old = tmp_path / "old-model"
    shutil.copytree(root / va / "model", old)
    (old / MODEL_USERDICT).unlink()
    with caplog.at_level(logging.INFO, logger="classifiers.model"):
        m = CauseModel.load(old)
    assert "no own jieba user dictionary" in caplog.text
    assert m.seg is segmenter(USERDICT)
    assert [t.text for t in m.nlp.make_doc(TEXT)] == segmenter(USERDICT).lcut(TEXT, HMM=False)
