"""New jieba words learned from a centre's labels."""
from __future__ import annotations

from classifiers.tokenize import segmenter
from classifiers.training.words import WORD_FREQ, learn_words, write_userdict


def test_unknown_word_in_two_texts_is_learned_once_seen_words_are_not():
    texts = [
        "抽卡保底又偷偷改了",
        "昨天抽卡抽了两百次一个金都没出",
        "游戏更新以后一直卡顿",
        "商城里的皮肤太贵了",
    ]
    words = learn_words(texts, segmenter(), min_docs=2)
    assert "抽卡" in words
    assert "卡顿" not in words  # in one text only
    assert "皮肤" not in words  # jieba knows it already
    assert learn_words(texts, segmenter(), min_docs=1).count("卡顿") == 1


def test_userdict_keeps_the_base_and_appends_the_words(tmp_path):
    base = tmp_path / "base.txt"
    base.write_text("客服 2000 n\n", encoding="utf-8")
    out = write_userdict(base, ["抽卡", "补单"], tmp_path / "out" / "userdict.txt")
    assert out.read_text(encoding="utf-8") == f"客服 2000 n\n抽卡 {WORD_FREQ} n\n补单 {WORD_FREQ} n\n"
    seg = segmenter(out)
    assert "抽卡" in list(seg.cut("我抽卡抽了一晚上", HMM=False))
