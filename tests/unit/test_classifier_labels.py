"""Person labels as training input: validation, preparation, conflicts, weights, merging with the corpus."""
from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from classifiers.training.dataset import Dataset, Item
from classifiers.training.labels import LabelError, PersonLabel, read_labels_jsonl, resolve_labels
from classifiers.training.pipeline import merge_labels


def L(text, cause, at, source="reviewer", who="amy", weight=None):
    return PersonLabel(text, cause, source, who, at, weight)


@pytest.mark.parametrize(
    "kwargs, fragment",
    [
        ({"cause": "staff.rudeness"}, "unknown cause"),
        ({"source": "robot"}, "unknown source"),
        ({"text": "   "}, "empty text"),
        ({"at": "yesterday"}, "ISO"),
        ({"weight": -1}, "weight"),
    ],
)
def test_bad_labels_are_refused_with_a_clear_message(kwargs, fragment):
    base = {"text": "态度很差", "cause": "staff.attitude", "source": "reviewer", "who": "amy",
            "at": "2026-12-01T10:00:00Z"}
    base.update(kwargs)
    with pytest.raises(LabelError, match=fragment):
        PersonLabel(**base)


def test_naive_time_is_utc():
    lab = L("态度很差", "staff.attitude", datetime(2026, 12, 1, 10, 0))
    assert lab.at == datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def test_latest_decision_wins_and_the_conflict_is_listed():
    labels = [
        # the same text three times (punctuation, Traditional characters): one dedup key
        L("客服態度很差！", "staff.attitude", "2026-12-01T10:00:00Z", who="amy"),
        L("客服态度很差", "company.policy", "2026-12-03T10:00:00Z", source="appeal_upheld", who="ben"),
        L("客服态度很差。。", "staff.attitude", "2026-12-02T10:00:00Z", source="panel", who="cat"),
        L("网一直断", "company.network", "2026-12-01T00:00:00Z"),
    ]
    r = resolve_labels(labels)
    by_text = {tl.text: tl for tl in r.labels}
    assert len(r.labels) == 2
    win = next(tl for tl in r.labels if tl.key == "客服态度很差")
    assert (win.cause, win.who, win.source) == ("company.policy", "ben", "appeal_upheld")
    assert by_text["网一直断"].cause == "company.network"
    assert len(r.conflicts) == 1
    c = r.conflicts[0]
    assert c["winner"]["who"] == "ben"
    assert [d["who"] for d in c["decisions"]] == ["amy", "cat", "ben"]  # oldest first
    assert r.stats["duplicates"] == 2
    assert r.counts_by_source == {"appeal_upheld": 1, "panel": 1, "reviewer": 2}
    assert r.counts_by_cause == {"company.policy": 1, "company.network": 1}


def test_agreeing_duplicates_are_not_a_conflict():
    r = resolve_labels([L("网一直断", "company.network", "2026-12-01T00:00:00Z"),
                        L("网一直断！", "company.network", "2026-12-02T00:00:00Z", who="ben")])
    assert r.conflicts == [] and len(r.labels) == 1


def test_texts_are_prepared_like_the_corpus():
    r = resolve_labels([L("我的手机13812345678一直没信号", "company.network", "2026-12-01T00:00:00Z")])
    assert r.labels[0].text == "我的手机[手机号]一直没信号"


def test_a_customers_choice_trains_unless_it_blames_the_agent_and_explicit_weight_wins():
    r = resolve_labels([
        L("收费太贵", "company.policy", "2026-12-01T00:00:00Z", source="customer_choice"),
        L("网一直断", "company.network", "2026-12-01T00:00:00Z", source="customer_choice", weight=2.0),
        L("问题还是没解决", "staff.resolution", "2026-12-01T00:00:00Z", source="customer_choice"),
        L("态度差", "staff.attitude", "2026-12-01T00:00:00Z", source="import"),
    ])
    assert {tl.text: tl.weight for tl in r.labels} == {"收费太贵": 1.0, "网一直断": 2.0, "态度差": 1.0}
    assert r.stats["not_trained_customer_blame"] == 1
    assert r.counts_by_source["customer_choice"] == 3


def test_zero_weight_sources_are_counted_not_trained():
    r = resolve_labels([L("收费太贵", "company.policy", "2026-12-01T00:00:00Z", source="panel")],
                       source_weights={"panel": 0.0})
    assert r.labels == [] and r.stats["not_trained_weight_0"] == 1


def test_labels_hash_changes_with_a_label_and_not_with_order():
    a = [L("网一直断", "company.network", "2026-12-01T00:00:00Z"), L("态度差", "staff.attitude", "2026-12-01T00:00:00Z")]
    b = list(reversed(a))
    c = [a[0], L("态度差", "staff.competence", "2026-12-01T00:00:00Z")]
    assert resolve_labels(a).labels_hash == resolve_labels(b).labels_hash
    assert resolve_labels(a).labels_hash != resolve_labels(c).labels_hash


def test_read_labels_jsonl_reports_bad_lines(tmp_path):
    p = tmp_path / "labels.jsonl"
    good = {"text": "网一直断", "cause": "company.network", "source": "import", "who": "centre", "at": "2026-12-01"}
    p.write_text("\n".join([
        json.dumps(good, ensure_ascii=False),
        "not json",
        json.dumps({**good, "cause": "nope"}),
        json.dumps({"text": "x"}),
        "",
    ]), encoding="utf-8")
    labels, problems = read_labels_jsonl(p)
    assert len(labels) == 1 and labels[0].who == "centre"
    assert [q.split(":")[0] for q in problems] == ["line 2", "line 3", "line 4"]
    assert "missing cause, source, who, at" in problems[2]


def test_merge_moves_labelled_corpus_texts_out_of_dev_and_weights_labels():
    ds = Dataset(items=[
        Item("网一直断", "company.network", "x", "train", "f"),
        Item("收费太贵", "company.policy", "x", "dev", "f"),
        Item("态度差", "staff.attitude", "x", "dev", "f"),
        Item("系统老是卡", "company.system", "x", "test", "f"),
    ])
    r = resolve_labels([
        L("收费太贵！", "company.product", "2026-12-01T00:00:00Z"),  # contradicts a dev item
        L("系统老是卡", "company.system", "2026-12-01T00:00:00Z"),  # agrees with a test item
        L("充电桩扫码没反应", "company.system", "2026-12-01T00:00:00Z", weight=2.0),
    ])
    m = merge_labels(ds, r, label_weight=3.0)
    assert m["dev"] == (["态度差"], ["staff.attitude"])
    assert sorted(zip(*m["train"], m["weights"])) == sorted([
        ("网一直断", "company.network", 1.0),
        ("收费太贵!", "company.product", 3.0),
        ("系统老是卡", "company.system", 3.0),
        ("充电桩扫码没反应", "company.system", 6.0),
    ])
    assert m["replaced"] == {"train": 0, "dev": 1, "test": 1}
    assert m["overrides"] == [{"text": "收费太贵", "corpus_cause": "company.policy", "label_cause": "company.product",
                               "split": "dev"}]
