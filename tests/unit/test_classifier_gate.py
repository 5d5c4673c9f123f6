"""The promotion gate on hand-built reports (every expected value written by hand)."""
from __future__ import annotations

import copy

from classifiers.training.gate import GateSettings, compare


def _set(sha, n, binary, cause, fb, cov=0.8):
    return {"sha256": sha, "n": n, "binary_f1": binary, "cause_macro_f1": cause, "false_blame": fb,
            "false_blame_rate": fb / 100, "staff_coverage": cov}


def _report(sets, answers=()):
    return {"version": "v", "sets": sets, "golden": {"answers": list(answers)}}


def _ans(text, upheld, cause, blamed):
    return {"text": text, "upheld": upheld, "decided_cause": "company.policy" if upheld else "staff.attitude",
            "cause": cause, "blamed": blamed, "needs_confirmation": not blamed}


BASE = {"test_split_v1": _set("aa", 1000, 0.970, 0.930, 2), "independent_eval": _set("bb", 480, 0.960, 0.900, 1)}


def test_equal_reports_are_allowed():
    d = compare(_report(BASE), _report(copy.deepcopy(BASE)))
    assert d.allowed and d.reasons == []
    # 2 sets × 5 metrics, sorted by set name
    assert len(d.table) == 10 and d.table[0]["set"] == "independent_eval"


def test_one_more_false_blame_on_one_set_is_refused():
    cand = copy.deepcopy(BASE)
    cand["independent_eval"]["false_blame"] = 2
    cand["test_split_v1"]["false_blame"] = 0  # better elsewhere does not compensate
    d = compare(_report(BASE), _report(cand))
    assert not d.allowed
    assert d.reasons == ["independent_eval: false blame rises 1 -> 2"]
    row = next(r for r in d.table if r["set"] == "independent_eval" and r["metric"] == "false blame (count)")
    assert (row["current"], row["candidate"], row["delta"]) == (1, 2, 1)


def test_binary_f1_drop_beyond_the_setting_is_refused():
    cand = copy.deepcopy(BASE)
    cand["test_split_v1"]["binary_f1"] = 0.955  # drop 0.015
    d = compare(_report(BASE), _report(cand))
    assert not d.allowed and d.reasons == ["test_split_v1: binary F1 drops 0.9700 -> 0.9550 (more than 0.01)"]
    assert compare(_report(BASE), _report(cand), GateSettings(max_binary_f1_drop=0.02)).allowed


def test_binary_f1_drop_within_the_setting_and_a_better_cause_f1_are_allowed():
    cand = copy.deepcopy(BASE)
    cand["test_split_v1"]["binary_f1"] = 0.962  # drop 0.008
    cand["test_split_v1"]["cause_macro_f1"] = 0.95
    d = compare(_report(BASE), _report(cand))
    assert d.allowed
    row = next(r for r in d.table if r["set"] == "test_split_v1" and r["metric"] == "binary F1")
    assert row["delta"] == -0.008


def test_upheld_appeal_blamed_again_is_refused_and_flips_are_listed():
    cur = _report(BASE, [_ans("系统扣了我两次钱", True, "company.system", False),
                         _ans("她直接挂我电话", False, "staff.attitude", True)])
    cand = _report(copy.deepcopy(BASE), [_ans("系统扣了我两次钱", True, "staff.resolution", True),
                                         _ans("她直接挂我电话", False, "staff.attitude", True)])
    d = compare(cur, cand)
    assert not d.allowed
    assert d.reasons == ["upheld appeal would be blamed on the agent again: 系统扣了我两次钱"]
    assert d.flipped_appeals == [{"text": "系统扣了我两次钱", "upheld": True, "decided_cause": "company.policy",
                                  "current": "company.system (ask)", "candidate": "staff.resolution (auto)"}]


def test_upheld_appeal_check_can_be_switched_off():
    cur = _report(BASE, [_ans("系统扣了我两次钱", True, "company.system", False)])
    cand = _report(copy.deepcopy(BASE), [_ans("系统扣了我两次钱", True, "staff.resolution", True)])
    assert compare(cur, cand, GateSettings(refuse_upheld_blame=False)).allowed


def test_reports_on_different_texts_are_not_comparable():
    cand = copy.deepcopy(BASE)
    cand["test_split_v1"]["sha256"] = "cc"
    del cand["independent_eval"]
    d = compare(_report(BASE), _report(cand))
    assert not d.allowed
    assert d.reasons == ["independent_eval: scored for only one version; not comparable",
                         "test_split_v1: scored on different texts (sha256 or exclusions differ); not comparable"]
    cand2 = copy.deepcopy(BASE)
    cand2["test_split_v1"]["n"] = 990  # other exclusions
    assert not compare(_report(BASE), _report(cand2)).allowed


def test_format_names_the_decision():
    cand = copy.deepcopy(BASE)
    cand["independent_eval"]["false_blame"] = 3
    text = compare(_report(BASE), _report(cand)).format()
    assert text.startswith("REFUSED: independent_eval: false blame rises 1 -> 3")
    assert "false blame (count)" in text
