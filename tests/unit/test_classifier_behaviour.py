"""Behaviour of the model trained on the real data, on canonical cases.

Every expectation below is written from docs/cause-taxonomy.md (codes, typical
wording and the rules for hard cases), not produced by the code. The model is
trained by the real pipeline on today's corpus (``make setup``'s model when its record proves it
is that model, ``tests/corpus_model.py``; trained here otherwise), in a temporary model root.
"""
from __future__ import annotations

import json

import pytest

import classifiers
from classifiers import api, registry


@pytest.fixture(scope="session")
def real_model(tmp_path_factory):
    from tests.corpus_model import corpus_model_into

    root = tmp_path_factory.mktemp("real-models")
    mp = pytest.MonkeyPatch()
    mp.setattr(registry, "_configuration", registry.StoreConfiguration(root))
    api._reset_for_tests()
    version, _ = corpus_model_into(root)
    yield root, version
    mp.undo()
    api._reset_for_tests()


@pytest.fixture()
def clf(real_model, monkeypatch):
    root, version = real_model
    monkeypatch.setattr(registry, "_configuration", registry.StoreConfiguration(root))
    api._reset_for_tests()
    yield classifiers.classify
    api._reset_for_tests()


def auto_staff(r) -> bool:
    return r.attribution == "staff" and not r.needs_confirmation


# --- the taxonomy's typical wording: one per code --------------------------------------------
@pytest.mark.parametrize(
    "text, cause",
    [
        ("态度很差", "staff.attitude"),
        ("一直打断我", "staff.attitude"),
        ("直接挂我电话", "staff.attitude"),
        ("一问三不知", "staff.competence"),
        ("给我办错了", "staff.competence"),
        ("说好回电没回", "staff.resolution"),
        ("推来推去不给办", "staff.resolution"),
        ("规定太死", "company.policy"),
        ("必须去营业厅", "company.policy"),
        ("套餐太贵", "company.product"),
        ("乱扣费", "company.product"),
        ("等了半小时才接通", "company.system"),
        ("转了三次", "company.system"),
        ("信号差", "company.network"),
        ("宽带老断", "company.network"),
        ("天天发评价短信烦死了", "survey.issue"),
        ("没看懂回几是满意", "survey.issue"),
        ("按错了", "customer.misreply"),
        ("回错了，应该是5", "customer.misreply"),
        ("手滑", "customer.misreply"),
        ("今天心情不好", "customer.other"),
        ("很好，谢谢", "none"),
        ("挺满意的", "none"),
    ],
)
def test_typical_wording(clf, text, cause):
    r = clf(text)
    assert r.cause == cause, r


# --- rules for hard cases ---------------------------------------------------------------------
@pytest.mark.parametrize(
    "text, cause",
    [
        # 1. mixed reasons: a clearly stated staff cause wins ...
        ("态度差，而且信号也不好", "staff.attitude"),
        ("套餐贵就算了，客服还一直打断我", "staff.attitude"),
        # ... praise of the agent plus a complaint about the company is non-staff
        ("小姑娘挺好的，就是套餐太贵", "company.product"),
        ("客服态度挺好的，就是宽带老是断", "company.network"),
        # 3. wait time and transfers are the company's, unless the agent caused them
        ("排队等了四十分钟", "company.system"),
        ("他故意把我转走", "staff.attitude"),
        # 4. broken promises belong to whoever made them
        ("客服说好第二天给我回电话，一直没打来", "staff.resolution"),
        ("说好三天内退款，一个星期了还没到账", "company.policy"),
        # 5. survey complaints
        ("别再发了", "survey.issue"),
        # 6. corrections
        ("刚才回错了", "customer.misreply"),
    ],
)
def test_hard_case_rules(clf, text, cause):
    r = clf(text)
    assert r.cause == cause, r


@pytest.mark.parametrize(
    "text",
    [
        "跟客服没关系，是你们宽带老断",
        "不是客服的问题，是规定太死了",
        "不怪客服，套餐太贵了",
        "客服挺好的就是等太久",
        "客服态度没问题，就是流量不够用",
        "客服已经尽力了，系统不行",
        "接线员人很好，可惜你们的规定太死板",
    ],
)
def test_explicit_exoneration_is_never_staff(clf, text):
    r = clf(text)
    assert r.attribution != "staff", r


@pytest.mark.parametrize("text", ["问题没解决", "不满意", "我要投诉", "一般般", "太失望了", "差评"])
def test_unclear_asks_and_does_not_blame(clf, text):
    r = clf(text)
    assert r.needs_confirmation, r
    assert r.attribution != "staff", r


@pytest.mark.parametrize(
    "text",
    [
        "按错了，客服态度其实挺好",
        "手滑点成1了，不是客服的问题",
        "不好意思，刚才回错了，客服很耐心",
        "客服挺辛苦的，别老让我们打分了",
        "评价短信第二天才收到",
        "客服态度差，但你们也别天天发评价短信了",
        "回错了，我本来想说客服态度好",
    ],
)
def test_never_auto_staff_for_survey_or_misreply(clf, text):
    r = clf(text)
    assert not auto_staff(r), r


@pytest.mark.parametrize(
    "text, cause",
    [
        ("態度很差，還掛我電話", "staff.attitude"),  # Traditional
        ("客服态度很差😡😡", "staff.attitude"),  # emoji
        ("ＡＰＰ一直闪退", "company.system"),  # full-width
        ("信号差到爆，打个电话断三次", "company.network"),
    ],
)
def test_surface_variants(clf, text, cause):
    assert clf(text).cause == cause


def test_praise_is_not_blamed(clf):
    for text in ["客服很有礼貌", "小姑娘说话很温柔，很耐心", "很专业，一下就办好了"]:
        r = clf(text)
        assert not auto_staff(r), r


def test_clear_staff_complaint_is_auto_attributed(clf):
    r = clf("客服态度极差，还挂我电话")
    assert r.cause == "staff.attitude" and r.attribution == "staff" and not r.needs_confirmation
    assert r.evidence and r.evidence in "客服态度极差，还挂我电话"


def test_evidence_is_a_substring(clf):
    for text in ["小姑娘挺好的，就是套餐太贵", "宽带三天两头断网", "跟客服没关系，是系统问题"]:
        r = clf(text)
        assert r.evidence == "" or r.evidence in classifiers.api.clean_input(text), r


def test_pii_does_not_change_the_answer(clf):
    a = clf("客服说好给我回电话，一直没打来")
    b = clf("客服说好给我回电话13812345678，一直没打来")
    assert a.cause == b.cause


def test_metrics_file_records_threshold_and_coverage(real_model):
    root, version = real_model
    m = json.loads((root / version / "metrics.json").read_text(encoding="utf-8"))
    t = m["thresholds"]
    assert 0.5 <= t["staff_threshold"] <= 1.01
    assert t["dev_false_blame_rate"] <= 0.01
    assert 0.0 < t["dev_staff_coverage"] <= 1.0
    assert m["test"]["false_blame_rate"] <= 0.02


def test_batch_equals_single(clf):
    texts = ["态度很差", "套餐太贵", "不满意", "", "按错了"]
    many = classifiers.classify_many(texts)
    assert [(r.cause, r.needs_confirmation) for r in many] == [
        (clf(t).cause, clf(t).needs_confirmation) for t in texts
    ]


def test_a_model_with_other_provenance_is_not_taken_for_the_corpus_model():
    from tests.corpus_model import _is_corpus_model

    root = registry.DEFAULT_ROOT
    current = (root / "CURRENT").read_text(encoding="utf-8").strip()
    config = json.loads((root / current / "config.json").read_text(encoding="utf-8"))
    for key, other in (("labels_hash", "ab" * 32), ("data_hash", "0" * 64), ("libraries", {"spacy": "0"}),
                       ("jieba_userdict_sha256", "f" * 64)):
        assert not _is_corpus_model({**config, key: other}), key
